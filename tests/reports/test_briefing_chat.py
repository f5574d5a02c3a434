"""The briefing's message to the work-chat groups (reports/briefings/chat.py), in Chinese,
on a hand-made snapshot:

- completed 11,600 万元 = 1.16 亿元, printed half up with one decimal as 1.2 亿元;
- 58.0 % of the plan against 序时进度 70.0 %: 12.0 points behind (落后);
- one item put to the leaders, with its ask (the financing category's), its 责任单位 and
  the day it is needed by; two more not listed.
"""

from django.utils import translation

from inspections.models import Issue
from reports.briefings.chat import chat_summary

SNAPSHOT = {
    "zone": "示范高新区",
    "investment": {
        "completed_ytd": "11600.00",
        "plan_percent": "58.0",
        "time_progress_percent": "70.0",
        "points_vs_pace": "-12.0",
    },
    "light_counts": {"red": 2, "yellow": 1, "green": 20},
    "decisions": {
        "items": [
            {
                "project": {"name": "动力电池回收"},
                "ask": Issue.Category.FINANCING,
                "responsible_unit": "财政金融局",
                "needed_by": "2026-12-10",
            }
        ],
        "unlisted": 2,
    },
}


def test_the_summary_a_leader_reads_in_the_group():
    with translation.override("zh-hans"):
        text = chat_summary(SNAPSHOT, heading="月通报 2026年11月")
    assert text == (
        "**示范高新区 月通报 2026年11月**\n\n"
        "本年完成投资 1.2 亿元，完成年度计划 58.0%，序时进度 70.0%（落后 12.0 个百分点）。\n\n"
        "红灯 2 个，黄灯 1 个。\n\n"
        "提请领导协调（1 项）：\n"
        "1. 动力电池回收：协调资金：银行融资、担保或园区资金（财政金融局，2026-12-10前）\n"
        "另有 2 项。"
    )


def test_ahead_of_pace_and_nothing_to_decide():
    snapshot = {
        "zone": "示范高新区",
        "investment": {"completed_ytd": "0", "plan_percent": "97.2", "points_vs_pace": "13.8"},
        "decisions": {"items": []},
    }
    with translation.override("zh-hans"):
        text = chat_summary(snapshot, heading="周调度 2026年第48期")
    assert "（超过 13.8 个百分点）" in text and "序时进度 —" in text
    assert text.endswith("本期无提请领导协调事项。")
