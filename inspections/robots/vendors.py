"""Each vendor's documented webhook request: where it goes, its JSON body, its signature,
its length limits and what its error codes mean. One small class per vendor.

The channel keeps the webhook address as the vendor shows it; only its key or token is
taken from it, and the request goes to the vendor's base URL setting (the real host by
default), so tests can play the vendor on loopback.

Errors come in three kinds (`RobotError.kind`):
- TRANSIENT: timeouts, refused connections, HTTP 5xx and 429, the vendor's rate-limit codes:
  tried again with back-off;
- CHANNEL: the robot itself is unusable (invalid key or token, revoked, bad signature,
  keyword or IP rule): the channel is marked failing until an admin fixes it;
- MESSAGE: this one message was refused (e.g. malformed): not tried again.
"""

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.parse

import requests
from django.conf import settings

from inspections.robots.models import RobotChannel

logger = logging.getLogger(__name__)

TRANSIENT, CHANNEL, MESSAGE = "transient", "channel", "message"


class RobotError(Exception):
    def __init__(self, kind: str, detail: str):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class WebhookAddressError(ValueError):
    """The address is not the vendor's webhook address."""


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def cut(text: str, limit: int, *, link: str = "", more: str = "") -> str:
    """`text` within `limit` UTF-8 bytes: when longer, cut at a line end (or a character)
    and followed by a link to the rest (`more` is its words)."""
    if utf8_len(text) <= limit:
        return text
    tail = f"\n\n…… [{more}]({link})" if link else "\n\n……"
    budget = max(limit - utf8_len(tail), 0)
    head = text.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
    line_end = head.rfind("\n")
    if line_end > len(head) * 0.7:
        head = head[:line_end]
    return head.rstrip() + tail


class Vendor:
    """A vendor's robot, for one channel."""

    kind: str
    # UTF-8 bytes of a markdown message's text, and of a text message's.
    markdown_limit: int
    text_limit: int

    def __init__(self, channel: RobotChannel):
        self.channel = channel
        self.token = self.token_from(channel.webhook_url)
        self.secret = channel.secret

    @classmethod
    def token_from(cls, webhook_url: str) -> str:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        return getattr(settings, f"ROBOT_{self.kind.upper()}_BASE_URL").rstrip("/")

    # ---- what each vendor builds

    def markdown_body(self, title: str, text: str) -> dict:
        raise NotImplementedError

    def text_body(self, text: str) -> dict:
        raise NotImplementedError

    def send_url(self) -> str:
        raise NotImplementedError

    # The vendor's answer: its error-code field, and the codes that mean "slow down"
    # (retried) and "this robot is gone or its key is wrong" (the channel fails).
    RATE_LIMITED: set[int]
    CHANNEL_GONE: set[int]

    def error_code(self, answer: dict) -> tuple[object, str]:
        """The code in the answer (0: sent) and the vendor's words for it."""
        return answer.get("errcode"), answer.get("errmsg", "")

    def check(self, status: int, answer: dict) -> None:
        code, words = self.error_code(answer)
        if status == 200 and code == 0:
            return
        detail = f"HTTP {status} code {code}: {words}"[:300]
        if code in self.RATE_LIMITED:
            raise RobotError(TRANSIENT, detail)
        if code in self.CHANNEL_GONE or status in (401, 403, 404):
            raise RobotError(CHANNEL, detail)
        raise RobotError(MESSAGE, detail)

    # ---- sending

    def send_markdown(self, title: str, text: str) -> None:
        self._post_json(self.send_url(), self.markdown_body(title, text))

    def send_text(self, text: str) -> None:
        self._post_json(self.send_url(), self.text_body(cut(text, self.text_limit)))

    def send_file(self, name: str, content: bytes) -> None:
        raise RobotError(MESSAGE, f"{self.kind} robots do not take files")

    def _post_json(self, url: str, body: dict) -> dict:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return self._post(url, data=data, headers={"Content-Type": "application/json"})

    def _post(self, url: str, **kwargs) -> dict:
        try:
            response = requests.post(url, timeout=settings.ROBOT_HTTP_TIMEOUT_SECONDS, **kwargs)
        except requests.RequestException as error:
            # The URL holds the key: name the error's type only, never the request.
            raise RobotError(TRANSIENT, f"{type(error).__name__}: no answer") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise RobotError(TRANSIENT, f"HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        self.check(response.status_code, answer)
        return answer


def _query_value(webhook_url: str, name: str, *, path: str) -> str:
    parts = urllib.parse.urlsplit(webhook_url.strip())
    values = urllib.parse.parse_qs(parts.query).get(name)
    if parts.scheme not in ("http", "https") or parts.path != path or not values:
        raise WebhookAddressError(webhook_url)
    return values[0]


class WeCom(Vendor):
    """企业微信群机器人: POST /cgi-bin/webhook/send?key=KEY. Markdown content at most 4096
    bytes, text 2048; files through /cgi-bin/webhook/upload_media?key=KEY&type=file (a
    multipart field "media"), then a "file" message with the media_id. No signature."""

    kind = RobotChannel.Vendor.WECOM
    markdown_limit = 4096
    text_limit = 2048
    # 45009: api freq out of limit. 93000: invalid webhook url; 93004/93008 are the
    # robot's group gone or the robot removed.
    RATE_LIMITED = {45009}
    CHANNEL_GONE = {93000, 93004, 93008, 40001, 40014}

    @classmethod
    def token_from(cls, webhook_url: str) -> str:
        return _query_value(webhook_url, "key", path="/cgi-bin/webhook/send")

    def send_url(self) -> str:
        return f"{self.base_url}/cgi-bin/webhook/send?key={urllib.parse.quote(self.token)}"

    def markdown_body(self, title: str, text: str) -> dict:
        return {"msgtype": "markdown", "markdown": {"content": text}}

    def text_body(self, text: str) -> dict:
        return {"msgtype": "text", "text": {"content": text}}

    def send_file(self, name: str, content: bytes) -> None:
        url = (
            f"{self.base_url}/cgi-bin/webhook/upload_media"
            f"?key={urllib.parse.quote(self.token)}&type=file"
        )
        answer = self._post(url, files={"media": (name, content, "application/octet-stream")})
        media_id = answer.get("media_id")
        if not media_id:
            raise RobotError(MESSAGE, "upload_media answered without a media_id")
        self._post_json(self.send_url(), {"msgtype": "file", "file": {"media_id": media_id}})


class DingTalk(Vendor):
    """钉钉自定义机器人: POST /robot/send?access_token=T, with &timestamp=ms&sign=S when
    加签 is on: S = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))).
    Markdown {"title", "text"}; 20 messages a minute per robot."""

    kind = RobotChannel.Vendor.DINGTALK
    markdown_limit = 20000
    text_limit = 20000
    # 130101: send too fast (over 20 a minute; the robot is then throttled 10 minutes).
    # 310000: the security settings refused it (sign, keyword, IP); 300001: bad token;
    # 400013/400101/300005: the group or the robot is gone, the token does not exist.
    RATE_LIMITED = {130101, 130102}
    CHANNEL_GONE = {310000, 300001, 300005, 400013, 400101}

    @classmethod
    def token_from(cls, webhook_url: str) -> str:
        return _query_value(webhook_url, "access_token", path="/robot/send")

    @staticmethod
    def sign(timestamp_ms: int, secret: str) -> str:
        digest = hmac.new(
            secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
        ).digest()
        return urllib.parse.quote_plus(base64.b64encode(digest))

    def send_url(self) -> str:
        url = f"{self.base_url}/robot/send?access_token={urllib.parse.quote(self.token)}"
        if self.secret:
            timestamp = int(time.time() * 1000)
            url += f"&timestamp={timestamp}&sign={self.sign(timestamp, self.secret)}"
        return url

    def markdown_body(self, title: str, text: str) -> dict:
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}

    def text_body(self, text: str) -> dict:
        return {"msgtype": "text", "text": {"content": text}}


class Feishu(Vendor):
    """飞书自定义机器人: POST /open-apis/bot/v2/hook/TOKEN. With 签名校验 the body carries
    "timestamp" (seconds, a string) and "sign" = base64(HMAC-SHA256(key=f"{timestamp}\\n
    {secret}", msg=b"")). Markdown goes in an "interactive" card; the request body may be
    at most 20 KB."""

    kind = RobotChannel.Vendor.FEISHU
    markdown_limit = 18000
    text_limit = 18000
    # 11232: frequency limited. 9499 is Feishu's "Bad Request" (a malformed body): not
    # retried, since the same body would be refused for ever.
    # 19021: sign match fail or timestamp out of range; 19001: param invalid (the token);
    # 19022: IP not allowed; 19024: key words not found.
    RATE_LIMITED = {11232}
    CHANNEL_GONE = {19021, 19001, 19022, 19024}

    @classmethod
    def token_from(cls, webhook_url: str) -> str:
        parts = urllib.parse.urlsplit(webhook_url.strip())
        prefix = "/open-apis/bot/v2/hook/"
        token = parts.path[len(prefix) :] if parts.path.startswith(prefix) else ""
        if parts.scheme not in ("http", "https") or not token or "/" in token:
            raise WebhookAddressError(webhook_url)
        return token

    @staticmethod
    def sign(timestamp: str, secret: str) -> str:
        key = f"{timestamp}\n{secret}".encode()
        return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()

    def send_url(self) -> str:
        return f"{self.base_url}/open-apis/bot/v2/hook/{urllib.parse.quote(self.token)}"

    def _signed(self, body: dict) -> dict:
        if not self.secret:
            return body
        timestamp = str(int(time.time()))
        return {"timestamp": timestamp, "sign": self.sign(timestamp, self.secret), **body}

    def markdown_body(self, title: str, text: str) -> dict:
        return self._signed(
            {
                "msg_type": "interactive",
                "card": {
                    "header": {"title": {"tag": "plain_text", "content": title}},
                    "elements": [{"tag": "markdown", "content": text}],
                },
            }
        )

    def text_body(self, text: str) -> dict:
        return self._signed({"msg_type": "text", "content": {"text": text}})

    def error_code(self, answer: dict) -> tuple[object, str]:
        # The current answer says "code"; the old one "StatusCode".
        return answer.get("code", answer.get("StatusCode")), answer.get("msg", "")


VENDORS: dict[str, type[Vendor]] = {v.kind: v for v in (WeCom, DingTalk, Feishu)}


def vendor_for(channel: RobotChannel) -> Vendor:
    return VENDORS[channel.vendor](channel)
