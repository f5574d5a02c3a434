"""Site-visit photos: check an upload, re-encode it without metadata, store it.

Every accepted photo is decoded and re-encoded with Pillow, so what is stored is pixels
we produced, never the bytes the phone sent. The format follows the content, not the
name or the browser's content type:

- JPEG (including the MPO variant many phone cameras write) is stored as JPEG, quality 85;
- PNG stays PNG and WebP stays WebP, so transparency and screenshots' sharp text survive;
- thumbnails are always JPEG (transparency flattened onto white).

EXIF, XMP, comments and text chunks are dropped. The one exception is the GPS block,
kept only when the uploader asks for it (``keep_location=True``). The ICC colour profile
is kept: it carries colour, not facts about the person or the place, and phones' wide-gamut
photos look wrong without it.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import os
import secrets
import time
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from inspections.models import MonthlyReport, MonthlyReportPhoto, SiteVisit, VisitPhoto

logger = logging.getLogger(__name__)

MB = 1024 * 1024

PHOTO_MAX_BYTES: int = getattr(settings, "PHOTO_MAX_BYTES", 10 * MB)
PHOTO_MAX_PER_VISIT: int = getattr(settings, "PHOTO_MAX_PER_VISIT", 20)
REPORT_PHOTO_MAX: int = getattr(settings, "REPORT_PHOTO_MAX", 6)
PHOTO_MAX_PIXELS: int = getattr(settings, "PHOTO_MAX_PIXELS", 40_000_000)
PHOTO_MAX_EDGE: int = getattr(settings, "PHOTO_MAX_EDGE", 2560)
THUMBNAIL_EDGE: int = getattr(settings, "THUMBNAIL_EDGE", 320)

JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80
ORIGINAL_NAME_MAX = 200

# Only these Pillow plugins may parse an upload: fewer decoders exposed to hostile input.
# Image.MAX_IMAGE_PIXELS is deliberately left alone: it is process-wide and shared with
# other code (PDF briefings); PHOTO_MAX_PIXELS is checked from the header before decoding,
# and Pillow's own guard (DecompressionBombError) is still handled as a rejection.
_PILLOW_FORMATS = ("JPEG", "PNG", "WEBP")
_ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


class UploadLike(Protocol):
    """What an upload must offer: Django's UploadedFile (or any File with a size)."""

    name: str | None
    size: int | None

    def read(self, size: int = ..., /) -> bytes: ...

    def seek(self, offset: int, whence: int = ..., /) -> int: ...


class PhotoRejected(Exception):
    """A file that was not stored. ``message`` names the file and says why."""

    def __init__(self, name: str, message: str, *, code: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ProcessedPhoto:
    """A re-encoded photo and its thumbnail, ready to store."""

    original_name: str
    image_name: str
    image_bytes: bytes
    thumbnail_name: str
    thumbnail_bytes: bytes
    format: str
    width: int
    height: int
    kept_location: bool


def display_name(name: str | None) -> str:
    """The uploaded file's name for display: no folders, no control characters, ≤ 200."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    # Cf covers bidi overrides, which can make "gpj.exe" read as "exe.jpg".
    base = "".join(ch for ch in base if unicodedata.category(ch) not in ("Cc", "Cf")).strip()
    return base[:ORIGINAL_NAME_MAX] or "photo"


def _megabytes(size: int) -> str:
    # Rounded up, so a file just over the limit never reads "10.0 MB; the limit is 10 MB".
    return f"{math.ceil(size * 10 / MB) / 10:.1f}"


def _too_big(name: str, size: int) -> PhotoRejected:
    message = _("%(name)s is %(size)s MB; the limit is %(limit)s MB.") % {
        "name": name,
        "size": _megabytes(size),
        "limit": f"{PHOTO_MAX_BYTES / MB:g}",
    }
    return PhotoRejected(name, message, code="size")


def _not_an_image(name: str) -> PhotoRejected:
    message = _("%(name)s is not a JPEG, PNG or WebP image.") % {"name": name}
    return PhotoRejected(name, message, code="type")


def _too_many_pixels(name: str) -> PhotoRejected:
    message = _("%(name)s is too large an image (over %(limit)s megapixels).") % {
        "name": name,
        "limit": f"{PHOTO_MAX_PIXELS / 1_000_000:g}",
    }
    return PhotoRejected(name, message, code="pixels")


def _damaged(name: str) -> PhotoRejected:
    message = _("%(name)s is damaged or incomplete; please upload it again.") % {"name": name}
    return PhotoRejected(name, message, code="damaged")


def _over_visit_limit(name: str) -> PhotoRejected:
    message = _("%(name)s was not added: a visit takes at most %(limit)s photos.") % {
        "name": name,
        "limit": PHOTO_MAX_PER_VISIT,
    }
    return PhotoRejected(name, message, code="limit")


def _over_report_limit(name: str) -> PhotoRejected:
    message = _("%(name)s was not added: a monthly report takes at most %(limit)s photos.") % {
        "name": name,
        "limit": REPORT_PHOTO_MAX,
    }
    return PhotoRejected(name, message, code="limit")


def _not_saved(name: str) -> PhotoRejected:
    message = _("%(name)s could not be saved; please try again.") % {"name": name}
    return PhotoRejected(name, message, code="storage")


def _read_limited(uploaded_file: UploadLike, name: str) -> bytes:
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > PHOTO_MAX_BYTES:
        raise _too_big(name, size)
    # A form's ImageField may already have read the file.
    with contextlib.suppress(AttributeError, OSError, ValueError):
        uploaded_file.seek(0)
    # The declared size is the client's word; never read more than one byte past the limit.
    data = uploaded_file.read(PHOTO_MAX_BYTES + 1)
    if len(data) > PHOTO_MAX_BYTES:
        raise _too_big(name, len(data))
    if not data:
        raise _not_an_image(name)
    return data


def _decode(data: bytes, name: str) -> Image.Image:
    try:
        with Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS) as probe:
            # The header alone gives the size: refuse a bomb before decoding a pixel.
            width, height = probe.size
            if width * height > PHOTO_MAX_PIXELS:
                raise _too_many_pixels(name)
            probe.verify()
        # verify() leaves the image unusable; a full decode also catches truncated JPEGs.
        image = Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS)
        image.load()
    except PhotoRejected:
        raise
    except Image.DecompressionBombError:
        raise _too_many_pixels(name) from None
    except UnidentifiedImageError:
        raise _not_an_image(name) from None
    except Exception as exc:
        # Malformed input makes Pillow raise many kinds of errors; all mean "damaged".
        logger.info("Photo %r could not be decoded: %r", name, exc)
        raise _damaged(name) from None
    if image.format not in _ACCEPTED_FORMATS:
        image.close()
        raise _not_an_image(name)
    return image


def validate_upload(uploaded_file: UploadLike) -> Image.Image:
    """Check an upload's size and content; return it decoded, or raise PhotoRejected.

    The type comes from the content alone: the name and the content type are ignored.
    """
    name = display_name(uploaded_file.name)
    return _decode(_read_limited(uploaded_file, name), name)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _gps_exif(image: Image.Image) -> bytes:
    """An EXIF block holding only the image's GPS data, or b"" if it has none."""
    try:
        gps = dict(image.getexif().get_ifd(ExifTags.IFD.GPSInfo))
        if not gps:
            return b""
        exif = Image.Exif()
        exif[ExifTags.Base.GPSInfo] = gps
        return exif.tobytes()
    except Exception as exc:
        # Unreadable GPS data is dropped: losing a location is safer than leaking a crash.
        logger.info("GPS data dropped: %r", exc)
        return b""


def _upright(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except Exception as exc:
        # A broken EXIF block should not cost the photo; it is dropped anyway.
        logger.info("EXIF orientation ignored: %r", exc)
        return image.copy()


def _icc_profile(source: Image.Image, stored: Image.Image) -> bytes | None:
    """The source's colour profile, if it still describes the stored pixels."""
    profile = source.info.get("icc_profile")
    rgb, grey = {"RGB", "RGBA", "P", "PA"}, {"L", "LA"}
    if (source.mode in rgb and stored.mode in rgb) or (source.mode in grey and stored.mode in grey):
        return profile or None
    # e.g. a CMYK profile must not be attached to the RGB pixels converted from it.
    return None


def _for_format(image: Image.Image, fmt: str) -> Image.Image:
    if fmt == "JPEG":
        return image if image.mode in ("RGB", "L") else image.convert("RGB")
    if _has_alpha(image):
        return image if image.mode == "RGBA" else image.convert("RGBA")
    if fmt == "PNG" and image.mode == "L":
        return image
    return image if image.mode == "RGB" else image.convert("RGB")


def _encode(image: Image.Image, fmt: str, *, exif: bytes, icc_profile: bytes | None) -> bytes:
    # Pillow copies some metadata (comments, ICC, transparency) from .info when saving.
    image.info = {}
    options: dict[str, object] = {}
    if exif:
        options["exif"] = exif
    if icc_profile:
        options["icc_profile"] = icc_profile
    if fmt == "JPEG":
        options.update(quality=JPEG_QUALITY, optimize=True)
    elif fmt == "WEBP":
        options.update(quality=JPEG_QUALITY)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE), Image.Resampling.LANCZOS)
    if _has_alpha(thumb):
        rgba = thumb.convert("RGBA")
        thumb = Image.new("RGB", rgba.size, "white")
        thumb.paste(rgba, mask=rgba.getchannel("A"))
    elif thumb.mode != "RGB":
        thumb = thumb.convert("RGB")
    thumb.info = {}
    buffer = io.BytesIO()
    thumb.save(buffer, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return buffer.getvalue()


def process_photo(uploaded_file: UploadLike, *, keep_location: bool) -> ProcessedPhoto:
    """Validate an upload and re-encode it, upright, at most PHOTO_MAX_EDGE on its long
    side, without metadata (but for GPS when ``keep_location``), with a thumbnail."""
    name = display_name(uploaded_file.name)
    source = validate_upload(uploaded_file)
    fmt = "JPEG" if source.format == "MPO" else str(source.format)
    try:
        gps = _gps_exif(source) if keep_location else b""
        upright = _upright(source)
        # Convert before dropping .info: palette transparency lives there.
        stored = _for_format(upright, fmt)
        stored.thumbnail((PHOTO_MAX_EDGE, PHOTO_MAX_EDGE), Image.Resampling.LANCZOS)
        icc_profile = _icc_profile(source, stored)
        image_bytes = _encode(stored, fmt, exif=gps, icc_profile=icc_profile)
        thumbnail_bytes = _thumbnail(stored)
    except Exception as exc:
        logger.info("Photo %r could not be re-encoded: %r", name, exc)
        raise _damaged(name) from None
    finally:
        source.close()
    token = secrets.token_hex(16)
    return ProcessedPhoto(
        original_name=name,
        image_name=f"{token}.{_EXTENSIONS[fmt]}",
        image_bytes=image_bytes,
        thumbnail_name=f"{token}-thumb.jpg",
        thumbnail_bytes=thumbnail_bytes,
        format=fmt,
        width=stored.width,
        height=stored.height,
        kept_location=bool(gps),
    )


def _store(parent_field: str, parent, processed: ProcessedPhoto, photo_model=VisitPhoto):
    """Write both files; the row is saved later. Removes what it wrote if it fails."""
    photo = photo_model(
        **{parent_field: parent},
        original_name=processed.original_name,
        kept_location=processed.kept_location,
    )
    try:
        _save_file(photo.image, processed.image_name, processed.image_bytes)
        _save_file(photo.thumbnail, processed.thumbnail_name, processed.thumbnail_bytes)
    except BaseException:
        _delete_files(photo)
        raise
    return photo


def _save_file(field_file, filename: str, data: bytes) -> None:
    """`FieldFile.save`, except that a write cut short (a full disk, an I/O error) leaves
    no partial file behind: the file system storage does not remove what it began."""
    target = field_file.field.generate_filename(field_file.instance, filename)
    # Names carry a random token, so the target is new; if it were not, the storage would
    # write under another name, and what is at the target is someone else's.
    ours = not field_file.storage.exists(target)
    try:
        field_file.save(filename, ContentFile(data), save=False)
    except BaseException:
        if ours:
            try:
                field_file.storage.delete(target)
            except Exception:
                logger.exception("Could not delete the partial file %s", target)
        raise


def _delete_files(photo: VisitPhoto | MonthlyReportPhoto) -> None:
    for field_file in (photo.image, photo.thumbnail):
        if field_file.name:
            try:
                field_file.storage.delete(field_file.name)
            except Exception:
                logger.exception("Could not delete %s", field_file.name)


def discard_files(photos: Iterable[VisitPhoto | MonthlyReportPhoto]) -> None:
    """Delete the stored files of photos whose rows will not be kept, e.g. when a caller's
    own transaction rolls back after attach_photos returned."""
    for photo in photos:
        _delete_files(photo)


def attach_photos(
    visit: SiteVisit, files: Sequence[UploadLike], *, keep_location: bool
) -> tuple[list[VisitPhoto], list[PhotoRejected]]:
    """Store the acceptable files as photos of ``visit``; return them and the rejections.

    Each file is judged on its own, so one bad file does not lose the others. Files past
    PHOTO_MAX_PER_VISIT (counting the visit's existing photos) are rejected, the earliest
    uploads taking the free places. Rows are only written for photos whose files were
    stored, and files are removed again if the rows cannot be written.
    """
    return _attach(
        visit,
        files,
        keep_location=keep_location,
        photo_model=VisitPhoto,
        parent_field="visit",
        limit=PHOTO_MAX_PER_VISIT,
        over_limit=_over_visit_limit,
    )


def attach_report_photos(
    report: MonthlyReport, files: Sequence[UploadLike], *, keep_location: bool
) -> tuple[list[MonthlyReportPhoto], list[PhotoRejected]]:
    """`attach_photos` for a monthly report (月报): at most REPORT_PHOTO_MAX per report."""
    return _attach(
        report,
        files,
        keep_location=keep_location,
        photo_model=MonthlyReportPhoto,
        parent_field="report",
        limit=REPORT_PHOTO_MAX,
        over_limit=_over_report_limit,
    )


def _attach(parent, files, *, keep_location, photo_model, parent_field, limit, over_limit):
    rejected: list[tuple[int, PhotoRejected]] = []
    pending: list[tuple[int, VisitPhoto | MonthlyReportPhoto]] = []
    siblings = photo_model.objects.filter(**{parent_field: parent})
    # A first count spares decoding files that cannot fit; the locked recount below decides.
    free = limit - siblings.count()

    # Decoding and writing files happen outside the transaction, so the database (a single
    # writer on SQLite) is not locked while Pillow works.
    for index, uploaded_file in enumerate(files):
        name = display_name(getattr(uploaded_file, "name", None))
        if len(pending) >= free:
            rejected.append((index, over_limit(name)))
            continue
        try:
            processed = process_photo(uploaded_file, keep_location=keep_location)
        except PhotoRejected as rejection:
            rejected.append((index, rejection))
            continue
        try:
            pending.append((index, _store(parent_field, parent, processed, photo_model)))
        except Exception:
            logger.exception(
                "Storing photo %r for %s %s failed", name, type(parent).__name__, parent.pk
            )
            rejected.append((index, _not_saved(name)))

    saved: list[VisitPhoto | MonthlyReportPhoto] = []
    try:
        with transaction.atomic():
            # Serialises concurrent uploads to one parent, so two of them cannot both take
            # the last free place (SQLite's immediate transactions do the same).
            type(parent).objects.select_for_update().only("pk").get(pk=parent.pk)
            free = limit - siblings.count()
            for position, (index, photo) in enumerate(pending):
                if position >= free:
                    _delete_files(photo)
                    rejected.append((index, over_limit(photo.original_name)))
                    continue
                photo.save()
                saved.append(photo)
    except BaseException:
        for _index, photo in pending:
            _delete_files(photo)
        raise

    rejected.sort(key=lambda item: item[0])
    return saved, [rejection for _index, rejection in rejected]


# ---------------------------------------------------------------- photos held for a visit
# When a visit form comes back (a refused photo, a date in the future), the photos that
# passed are kept server-side under the form's submission key, so the next submission
# records them without the user choosing them again. They are the uploaded bytes, checked
# but not re-encoded: the visit's own `keep_location` is only known when it is recorded.
# Never served: they sit under MEDIA_ROOT, which is not served directly, until the visit is
# recorded (release_held_photos) or HELD_PHOTOS_KEPT_FOR has passed (purge_held_photos,
# run whenever photos are held and nightly by beat, so an abandoned form leaves nothing
# behind for long).
HELD_PHOTOS_DIR = "held-photos"
HELD_PHOTOS_KEPT_FOR = timedelta(seconds=settings.HELD_PHOTOS_KEPT_SECONDS)
_MANIFEST = "manifest.json"


@dataclass(frozen=True)
class HeldPhoto:
    """A checked photo waiting for its visit: the name it was uploaded under, and where."""

    name: str
    path: str


def _held_folder(by, submission_key: uuid.UUID) -> str:
    # The user's id in the path: a submission key is the client's word, so another user's
    # key never reaches another user's photos.
    return f"{HELD_PHOTOS_DIR}/{by.pk}/{uuid.UUID(str(submission_key))}"


def _read_manifest(folder: str) -> dict:
    try:
        with default_storage.open(f"{folder}/{_MANIFEST}", "rb") as manifest:
            return json.loads(manifest.read())
    except (OSError, ValueError):
        return {"held_at": 0, "photos": []}


def held_photos(*, by, submission_key: uuid.UUID) -> list[HeldPhoto]:
    """The photos held for this user's submission, oldest first."""
    folder = _held_folder(by, submission_key)
    return [
        HeldPhoto(entry["name"], f"{folder}/{entry['file']}")
        for entry in _read_manifest(folder)["photos"]
        if default_storage.exists(f"{folder}/{entry['file']}")
    ]


def hold_photos(
    *, by, submission_key: uuid.UUID, files: Sequence[UploadLike]
) -> tuple[list[HeldPhoto], list[PhotoRejected]]:
    """Check each file on its own; hold the acceptable ones with those held before.

    Returns every photo now held for the submission, and the files refused (each message
    names its file). At most PHOTO_MAX_PER_VISIT are held, the earliest first."""
    purge_held_photos()
    folder = _held_folder(by, submission_key)
    manifest = _read_manifest(folder)
    entries: list[dict] = [
        entry for entry in manifest["photos"] if default_storage.exists(f"{folder}/{entry['file']}")
    ]
    rejected: list[PhotoRejected] = []
    for uploaded_file in files:
        name = display_name(getattr(uploaded_file, "name", None))
        if len(entries) >= PHOTO_MAX_PER_VISIT:
            rejected.append(_over_visit_limit(name))
            continue
        try:
            data = _read_limited(uploaded_file, name)
            _decode(data, name).close()
        except PhotoRejected as rejection:
            rejected.append(rejection)
            continue
        token = secrets.token_hex(16)
        try:
            default_storage.save(f"{folder}/{token}", ContentFile(data))
        except Exception:
            logger.exception("Holding photo %r failed", name)
            # A write cut short (a full disk) leaves no part of the file behind.
            with contextlib.suppress(Exception):
                default_storage.delete(f"{folder}/{token}")
            rejected.append(_not_saved(name))
            continue
        entries.append({"name": name, "file": token})
    if entries != manifest["photos"]:
        _write_manifest(folder, entries)
    return [HeldPhoto(entry["name"], f"{folder}/{entry['file']}") for entry in entries], rejected


def _write_manifest(folder: str, entries: list[dict]) -> None:
    path = f"{folder}/{_MANIFEST}"
    content = json.dumps({"held_at": time.time(), "photos": entries}, ensure_ascii=False)
    with contextlib.suppress(OSError):
        default_storage.delete(path)
    default_storage.save(path, ContentFile(content.encode()))


@contextlib.contextmanager
def opened(held: Sequence[HeldPhoto]):
    """The held photos as uploads (their names the uploaded ones), closed afterwards."""
    files = []
    try:
        for photo in held:
            upload = File(default_storage.open(photo.path, "rb"), name=photo.name)
            files.append(upload)
        yield files
    finally:
        for upload in files:
            upload.close()


def refused_uploads(files: Sequence[UploadLike]) -> list[PhotoRejected]:
    """The files `validate_upload` refuses, each checked on its own; nothing is written."""
    refused = []
    for uploaded_file in files:
        try:
            validate_upload(uploaded_file).close()
        except PhotoRejected as rejection:
            refused.append(rejection)
        with contextlib.suppress(AttributeError, OSError, ValueError):
            uploaded_file.seek(0)
    return refused


def release_held_photos(*, by, submission_key: uuid.UUID) -> None:
    """Delete what is held for the submission (its visit is recorded)."""
    _delete_folder(_held_folder(by, submission_key))


def _delete_folder(folder: str) -> None:
    try:
        _dirs, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        try:
            default_storage.delete(f"{folder}/{name}")
        except Exception:
            logger.exception("Could not delete %s/%s", folder, name)
    with contextlib.suppress(OSError, NotImplementedError):
        # The file system storage leaves empty folders; they are not worth a warning.
        os.rmdir(default_storage.path(folder))


def purge_held_photos(*, now: float | None = None) -> int:
    """Delete photos held longer than HELD_PHOTOS_KEPT_FOR (forms left unsubmitted);
    returns how many submissions' photos were deleted."""
    cutoff = (time.time() if now is None else now) - HELD_PHOTOS_KEPT_FOR.total_seconds()
    purged = 0
    try:
        users, _files = default_storage.listdir(HELD_PHOTOS_DIR)
    except FileNotFoundError:
        return 0
    for user in users:
        keys, _files = default_storage.listdir(f"{HELD_PHOTOS_DIR}/{user}")
        for key in keys:
            folder = f"{HELD_PHOTOS_DIR}/{user}/{key}"
            if _read_manifest(folder)["held_at"] < cutoff:
                _delete_folder(folder)
                purged += 1
    return purged
