"""The demo's tables: people, reference data, the 28 projects, visits and issues."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from django.db import models

from hitech_zone.permissions import Role
from inspections.models import Issue, VisitParticipant
from projects.models import (
    Park,
    Project,
)

M = TypeVar("M", bound=models.Model)

DEMO_PASSWORD = "hitech-demo"
# Shown as the reason in every demo row's history.
CHANGE_REASON = "演示数据初始化"

# The zone's figures for the year (万元): 28 projects, 152.5 亿元 in all, 50 亿元 planned
# for the year, industrial investment of 55 亿元 ensured and 70 亿元 striven for.
PROJECT_COUNT = 28
TOTAL_INVESTMENT = Decimal(1_525_000)
PLANNED_INVESTMENT = Decimal(500_000)
INDUSTRIAL_ENSURE = Decimal(550_000)
INDUSTRIAL_STRIVE = Decimal(700_000)

# Year-to-date investment is laid out at this share of 序时进度, so the zone is a little
# behind plan, as it was in the article's spring.
PACE_OF_ZONE = Decimal("0.90")

# (years after the current one, month, day): the article's year becomes the current one.
Day = tuple[int, int, int]

Status = Project.Status
Category = Project.Category
IssueStatus = Issue.Status


def day_of(year: int, day: Day) -> date:
    return date(year + day[0], day[1], day[2])


# ------------------------------------------------------------------ people


@dataclass(frozen=True)
class UserSpec:
    username: str
    full_name: str
    job_title: str
    role: Role
    can_sign_in: bool = False
    is_superuser: bool = False


USERS = (
    UserSpec("admin", "系统管理员（演示）", "系统管理员", Role.ADMIN, True, is_superuser=True),
    UserSpec("official", "周明（演示）", "项目服务专员", Role.OFFICIAL, True),
    UserSpec("leader", "姚丽英", "市政协副主席、高新区管委会副主任", Role.LEADER, True),
    UserSpec("pm", "陈华瑞", "项目现场负责人", Role.PROJECT_MANAGER, True),
    # Handles the issues assigned to 组织人事劳动局 (see DEPARTMENT_MEMBERS).
    UserSpec("dept", "人事科（演示）", "组织人事劳动局人才服务科", Role.DEPARTMENT, True),
    # Responsible persons (责任人) and a second leader: they exist to be named, not to sign in.
    UserSpec("shenjianguo", "沈建国（演示）", "高新区管委会副主任", Role.LEADER),
    UserSpec("guting", "顾婷（演示）", "重点项目办公室主任", Role.OFFICIAL),
    UserSpec("qianweiguo", "钱卫国（演示）", "经济发展局副局长", Role.OFFICIAL),
    UserSpec("lujianhua", "陆建华（演示）", "建设局工程科科长", Role.OFFICIAL),
    UserSpec("xumin", "徐敏（演示）", "项目服务专员", Role.OFFICIAL),
    UserSpec("shaoyifan", "邵一帆（演示）", "科技局项目专员", Role.OFFICIAL),
    # Staff of the departments that handle the demo's issue history (DEPARTMENT_MEMBERS):
    # a department's steps are taken by one of its members.
    UserSpec("jingfa", "项目科（演示）", "经济发展局项目推进科", Role.DEPARTMENT),
    UserSpec("jianshe", "质安科（演示）", "建设局质量安全监督科", Role.DEPARTMENT),
    UserSpec("ziguihua", "用地科（演示）", "自然资源和规划分局用地科", Role.DEPARTMENT),
    UserSpec("caizheng", "金融科（演示）", "财政局金融服务科", Role.DEPARTMENT),
)

# ------------------------------------------------------------------ reference data

PARKS = (
    ("ai-park", "人工智能产业园", Park.Kind.PARK),
    ("hydrogen-vehicle-park", "氢能源汽车产业园", Park.Kind.PARK),
    # The article speaks of 三园一岛 but names only two parks.
    ("equipment-park", "高端装备产业园（演示）", Park.Kind.PARK),
    ("kunchenghu-island", "昆承湖金融科技岛", Park.Kind.ISLAND),
    ("hydrogen-station", "加氢站", Park.Kind.CARRIER),
)

SECTORS = (
    ("hydrogen-vehicles", "氢能源汽车"),
    ("ev-batteries", "新能源电池"),
    ("5g", "5G"),
    ("digital-economy", "数字经济"),
    ("ai", "人工智能"),
    ("fintech", "金融科技"),
    ("new-infrastructure", "新基建"),
    ("high-end-equipment", "高端装备"),
    ("modern-services", "现代服务业"),
)

# Demo users who work for a department: username -> department code.
DEPARTMENT_MEMBERS = {
    "dept": "hr-labour",
    "jingfa": "economic-development",
    "jianshe": "construction",
    "ziguihua": "natural-resources",
    "caizheng": "finance",
}

DEPARTMENTS = (
    ("hr-labour", "组织人事劳动局"),
    ("economic-development", "经济发展局"),
    ("construction", "建设局"),
    ("natural-resources", "自然资源和规划分局"),
    ("finance", "财政局"),
    ("science-technology", "科技局"),
    ("investment-promotion", "招商局"),
    ("ecology-environment", "生态环境分局"),
)

# ------------------------------------------------------------------ projects


@dataclass(frozen=True)
class MilestoneSpec:
    name: str
    baseline: Day
    slip: int = 0  # days the work runs behind the baseline
    blocked: bool = False  # stuck: not reached however long one waits
    phase: int | None = None


def ms(name: str, dy: int, month: int, day: int, slip: int = 0, **kwargs: Any) -> MilestoneSpec:
    return MilestoneSpec(name, (dy, month, day), slip, **kwargs)


@dataclass(frozen=True)
class PhaseSpec:
    number: int
    name: str
    scope: str
    investment: int
    start: Day
    completion: Day


@dataclass(frozen=True)
class ProjectSpec:
    code: str
    name: str
    company: str
    sector: str
    park: str
    category: Category
    total: int  # 万元
    plan: int  # 万元, for the current year
    responsible: str
    leader: str
    location: str
    description: str
    milestones: tuple[MilestoneSpec, ...]
    # The share of its own plan the project keeps up with (the zone's pace is set apart).
    pace: Decimal = Decimal(1)
    phases: tuple[PhaseSpec, ...] = ()
    managers: tuple[str, ...] = ()
    suspended_from: Day | None = None
    month_notes: dict[int, str] = field(default_factory=dict)
    is_demo: bool = True


IND, SRV, INF = Category.INDUSTRIAL, Category.SERVICE, Category.INFRASTRUCTURE
D = Decimal

# fmt: off
ARTICLE_PROJECTS = (
    ProjectSpec(
        code="GX-001", name="江苏正力新能电芯项目", company="江苏正力新能电池技术有限公司",
        sector="ev-batteries", park="equipment-park", category=IND,
        total=100_000, plan=50_000, pace=D("0.70"), responsible="official", leader="leader",
        location="高端装备产业园（演示）E-01 地块",
        description="新建动力电池电芯生产厂房、仓储及动力站房，购置涂布、卷绕、化成等产线设备，"
                    "形成动力电池电芯规模化生产能力。上年引进的市级重点项目。",
        milestones=(
            ms("项目签约", -1, 8, 28), ms("立项备案", -1, 9, 18), ms("开工", -1, 12, 16),
            # Building materials from Hubei fell short after work resumed on 24 February.
            ms("主体封顶", 0, 6, 30, 52), ms("设备安装调试", 0, 10, 31, 45),
            ms("竣工投产", 1, 3, 31, 45),
        ),
        managers=("pm",),
        month_notes={2: "2月24日复工", 3: "部分建材来自湖北，到货不足，施工放缓"},
        is_demo=False,
    ),
    ProjectSpec(
        code="GX-002", name="重塑能源科技项目", company="江苏重塑能源科技有限公司",
        sector="hydrogen-vehicles", park="hydrogen-vehicle-park", category=IND,
        total=200_000, plan=70_000, pace=D("0.95"), responsible="guting", leader="leader",
        location="氢能源汽车产业园 H-01 地块",
        description="氢能源汽车产业园的标杆项目：分三期建设燃料电池汽车核心零部件生产基地，"
                    "一期为年产2万套燃料电池动力系统的生产线。",
        milestones=(
            ms("一期开工", -1, 9, 25, phase=1), ms("一期厂房主体封顶", -1, 12, 20, 6, phase=1),
            ms("一期设备安装调试", 0, 3, 31, 8, phase=1),
            # Expected in June; commissioning ran a little long.
            ms("一期试生产", 0, 6, 30, 16, phase=1),
            ms("二期开工", 0, 10, 31, 20, phase=2), ms("二期主体封顶", 1, 6, 30, phase=2),
        ),
        phases=(
            PhaseSpec(1, "一期", "年产2万套燃料电池动力系统生产线", 80_000, (-1, 9, 25), (0, 12, 31)),
            PhaseSpec(2, "二期", "燃料电池电堆及核心零部件生产线（演示）", 70_000, (0, 10, 31), (1, 12, 31)),
            PhaseSpec(3, "三期", "燃料电池汽车核心零部件研发检测中心（演示）", 50_000, (1, 10, 31), (2, 12, 31)),
        ),
        is_demo=False,
    ),
    ProjectSpec(
        code="GX-003", name="昆承湖日航国际中心", company="常熟昆承湖开发建设有限公司（演示）",
        sector="modern-services", park="kunchenghu-island", category=SRV,
        total=150_000, plan=40_000, pace=D("0.92"), responsible="lujianhua", leader="leader",
        location="昆承湖金融科技岛",
        description="建设国际品牌酒店、甲级写字楼及商业配套组成的城市综合体（投资规模为演示数据）。",
        milestones=(
            ms("立项备案", -2, 6, 30), ms("开工", -2, 11, 30), ms("主体结构封顶", 0, 5, 31, 20),
            ms("幕墙及机电安装", 0, 11, 30), ms("竣工验收", 1, 9, 30),
        ),
        is_demo=False,
    ),
    ProjectSpec(
        code="GX-004", name="人工智能科技产业园",
        company="常熟高新区人工智能产业园开发有限公司（演示）",
        sector="ai", park="ai-park", category=INF,
        total=100_000, plan=30_000, pace=D("0.90"), responsible="xumin", leader="leader",
        location="人工智能产业园",
        description="建设研发办公楼、中试厂房及公共技术服务平台等产业载体（投资规模为演示数据）。",
        milestones=(
            ms("立项备案", -1, 7, 15), ms("土地摘牌", -1, 9, 30), ms("开工", -1, 11, 20),
            ms("主体封顶", 0, 7, 31, 10), ms("竣工验收", 1, 6, 30),
        ),
        is_demo=False,
    ),
)

INVENTED_PROJECTS = (
    ProjectSpec(
        code="GX-005", name="索特传动设备扩产项目", company="索特传动设备有限公司",
        sector="high-end-equipment", park="equipment-park", category=IND,
        total=45_000, plan=20_000, pace=D("1.05"), responsible="qianweiguo", leader="shenjianguo",
        location="高端装备产业园（演示）E-03 地块",
        description="企业3月份产能同比增长五成以上；新建精密齿轮箱及传动部件车间，"
                    "新增数控磨齿、热处理设备，扩大传动装置产能。",
        milestones=(
            ms("立项备案", -1, 11, 20), ms("开工", 0, 3, 20), ms("主体封顶", 0, 8, 15),
            ms("设备安装调试", 0, 11, 30), ms("竣工投产", 1, 3, 31),
        ),
    ),
    ProjectSpec(
        code="GX-006", name="氢燃料电池膜电极项目", company="常熟氢芯新材料科技有限公司",
        sector="hydrogen-vehicles", park="hydrogen-vehicle-park", category=IND,
        total=60_000, plan=22_500, pace=D("0.95"), responsible="guting", leader="leader",
        location="氢能源汽车产业园 H-03 地块",
        description="建设膜电极及催化剂生产线，配套研发中心，为园区燃料电池企业就近配套。",
        milestones=(
            ms("立项备案", -1, 10, 10), ms("土地摘牌", -1, 12, 15), ms("开工", 0, 3, 10, 12),
            ms("主体封顶", 0, 9, 30, 15), ms("竣工投产", 1, 6, 30),
        ),
    ),
    ProjectSpec(
        code="GX-007", name="高新区加氢站建设项目", company="常熟高新氢能源供应有限公司",
        sector="new-infrastructure", park="hydrogen-station", category=INF,
        total=8_000, plan=5_000, responsible="lujianhua", leader="leader",
        location="氢能源汽车产业园东侧",
        description="建设日加注能力1000公斤的固定式加氢站，服务园区燃料电池公交和物流车辆。",
        milestones=(
            ms("立项备案", -1, 10, 20), ms("开工", 0, 1, 15), ms("设备安装调试", 0, 4, 30),
            ms("竣工验收", 0, 6, 30, 10),
        ),
    ),
    ProjectSpec(
        code="GX-008", name="氢能重卡整车生产项目", company="江苏氢驰汽车科技有限公司",
        sector="hydrogen-vehicles", park="hydrogen-vehicle-park", category=IND,
        total=100_000, plan=15_000, responsible="guting", leader="shenjianguo",
        location="氢能源汽车产业园 H-05 地块",
        description="建设燃料电池重卡总装、涂装及检测线，规划年产氢能重卡5000辆。",
        milestones=(
            ms("立项备案", -1, 12, 10), ms("土地摘牌", 0, 3, 31, 25),
            # The permit papers keep coming back: the start cannot be scheduled yet.
            ms("施工许可", 0, 6, 30, blocked=True),
            ms("开工", 0, 7, 31), ms("主体封顶", 1, 6, 30), ms("竣工投产", 2, 3, 31),
        ),
    ),
    ProjectSpec(
        code="GX-009", name="燃料电池储氢瓶项目", company="常熟储氢装备科技有限公司",
        sector="hydrogen-vehicles", park="hydrogen-vehicle-park", category=IND,
        total=40_000, plan=15_000, responsible="xumin", leader="leader",
        location="氢能源汽车产业园 H-02 地块",
        description="建设车载高压储氢瓶生产线及检测中心，年产储氢瓶3万只。",
        milestones=(
            ms("立项备案", -2, 12, 1), ms("开工", -1, 4, 15), ms("主体封顶", -1, 10, 31),
            ms("设备安装调试", 0, 3, 31, 10), ms("试生产", 0, 5, 31, 5), ms("竣工投产", 0, 12, 31),
        ),
    ),
    ProjectSpec(
        code="GX-010", name="5G通信模组生产项目", company="常熟五维通信技术有限公司",
        sector="5g", park="ai-park", category=IND,
        total=55_000, plan=25_000, responsible="shaoyifan", leader="leader",
        location="人工智能产业园 A-04 地块",
        description="建设5G通信模组贴片及整机测试产线，年产5G模组1200万片。",
        milestones=(
            ms("立项备案", -1, 8, 30), ms("土地摘牌", -1, 10, 31), ms("开工", 0, 2, 28, 20),
            ms("主体封顶", 0, 9, 30, 10), ms("竣工投产", 1, 6, 30),
        ),
    ),
    ProjectSpec(
        code="GX-011", name="5G基站滤波器项目", company="常熟致远微波科技有限公司",
        sector="5g", park="equipment-park", category=IND,
        total=30_000, plan=12_000, pace=D("0.45"), responsible="qianweiguo", leader="shenjianguo",
        location="高端装备产业园（演示）E-06 地块",
        description="建设5G基站陶瓷介质滤波器生产线，年产滤波器500万只。",
        milestones=(
            ms("立项备案", -1, 9, 30), ms("开工", -1, 12, 28), ms("主体封顶", 0, 5, 31, 40),
            ms("设备安装调试", 0, 9, 30, 60), ms("竣工投产", 1, 1, 31, 60),
        ),
    ),
    ProjectSpec(
        code="GX-012", name="高新区5G网络覆盖工程", company="常熟高新区新基建投资有限公司",
        sector="new-infrastructure", park="ai-park", category=INF,
        total=12_000, plan=6_000, pace=D("0.95"), responsible="shaoyifan", leader="leader",
        location="高新区全域",
        description="新建5G宏基站及室内分布系统，实现园区和昆承湖片区5G信号连续覆盖。",
        milestones=(
            ms("立项备案", -1, 12, 20), ms("开工", 0, 3, 1), ms("完成首批基站建设", 0, 6, 30),
            ms("竣工验收", 0, 12, 20),
        ),
    ),
    ProjectSpec(
        code="GX-013", name="数字经济产业园（一期）", company="常熟数智产业发展有限公司",
        sector="digital-economy", park="ai-park", category=SRV,
        total=50_000, plan=15_000, pace=D("0.90"), responsible="xumin", leader="leader",
        location="人工智能产业园 A-07 地块",
        description="建设软件研发楼、数字经济企业孵化空间及配套服务设施。",
        milestones=(
            ms("立项备案", -1, 6, 30), ms("土地摘牌", -1, 8, 31), ms("开工", -1, 10, 15),
            ms("主体封顶", 0, 8, 31), ms("竣工验收", 1, 5, 31),
        ),
    ),
    ProjectSpec(
        code="GX-014", name="工业互联网平台及数据中心项目", company="常熟云算数据科技有限公司",
        sector="new-infrastructure", park="ai-park", category=INF,
        total=60_000, plan=20_000, pace=D("0.50"), responsible="lujianhua", leader="shenjianguo",
        location="人工智能产业园 A-09 地块",
        description="建设3000个标准机柜的数据中心及工业互联网公共服务平台。",
        milestones=(
            ms("立项备案", -1, 8, 15), ms("开工", -1, 11, 30), ms("主体封顶", 0, 6, 30, 35),
            ms("机电及双回路供电接入", 0, 10, 31, 60), ms("竣工投运", 1, 3, 31, 60),
        ),
    ),
    ProjectSpec(
        code="GX-015", name="智能网联汽车电子项目", company="常熟智行汽车电子有限公司",
        sector="ai", park="ai-park", category=IND,
        total=65_000, plan=20_000, pace=D("0.95"), responsible="shaoyifan", leader="leader",
        location="人工智能产业园 A-02 地块",
        description="建设车载域控制器、毫米波雷达等智能网联汽车电子产品生产线。",
        milestones=(
            ms("立项备案", -1, 11, 30), ms("土地摘牌", 0, 1, 20), ms("开工", 0, 4, 15, 5),
            ms("主体封顶", 0, 10, 31), ms("竣工投产", 1, 8, 31),
        ),
    ),
    ProjectSpec(
        code="GX-016", name="工业机器人研发制造基地", company="江苏锐科智能装备有限公司",
        sector="high-end-equipment", park="equipment-park", category=IND,
        total=60_000, plan=20_000, responsible="qianweiguo", leader="leader",
        location="高端装备产业园（演示）E-02 地块",
        description="建设工业机器人本体及核心零部件研发中心和制造基地，年产工业机器人5000台。",
        milestones=(
            ms("立项备案", -1, 5, 31), ms("开工", -1, 9, 30), ms("主体封顶", 0, 4, 30),
            ms("设备安装调试", 0, 9, 30), ms("竣工投产", 0, 12, 31),
        ),
    ),
    ProjectSpec(
        code="GX-017", name="人工智能视觉芯片项目", company="常熟芯视智能科技有限公司",
        sector="ai", park="ai-park", category=IND,
        total=40_000, plan=5_000, responsible="shaoyifan", leader="shenjianguo",
        location="人工智能产业园 A-11 地块",
        description="建设机器视觉芯片封装测试洁净厂房及算法研发中心。",
        milestones=(
            ms("立项备案", 0, 2, 28), ms("土地摘牌", 0, 6, 30, 20), ms("开工", 0, 12, 28),
            ms("竣工投产", 2, 6, 30),
        ),
    ),
    ProjectSpec(
        code="GX-018", name="昆承湖金融科技中心", company="常熟昆承湖金融科技发展有限公司",
        sector="fintech", park="kunchenghu-island", category=SRV,
        total=60_000, plan=12_000, pace=D("0.90"), responsible="guting", leader="leader",
        location="昆承湖金融科技岛 K-02 地块",
        description="建设金融科技企业总部楼宇、数据灾备中心及路演交流中心。",
        milestones=(
            ms("立项备案", -1, 3, 31), ms("开工", -1, 8, 31), ms("主体封顶", 0, 7, 31, 15),
            ms("竣工验收", 1, 6, 30),
        ),
    ),
    ProjectSpec(
        code="GX-019", name="金融科技产业孵化器", company="常熟金服科技产业投资有限公司",
        sector="fintech", park="kunchenghu-island", category=SRV,
        total=15_000, plan=5_000, responsible="xumin", leader="leader",
        location="昆承湖金融科技岛 K-05 地块",
        description="改造建设金融科技孵化空间2万平方米，配套公共技术平台。",
        milestones=(
            ms("立项备案", -1, 4, 30), ms("开工", -1, 7, 15), ms("装修及智能化工程", -1, 12, 31),
            ms("竣工验收", 0, 3, 31, 15), ms("交付使用", 0, 4, 30),
        ),
    ),
    ProjectSpec(
        code="GX-020", name="区块链金融服务平台", company="常熟链融科技有限公司",
        sector="fintech", park="kunchenghu-island", category=SRV,
        total=10_000, plan=500, responsible="guting", leader="shenjianguo",
        location="昆承湖金融科技岛 K-07 地块",
        description="建设区块链供应链金融服务平台及运营中心（储备项目）。",
        milestones=(
            ms("项目签约", -1, 12, 30), ms("立项备案", 1, 1, 31), ms("开工", 1, 4, 30),
            ms("竣工验收", 1, 12, 31),
        ),
    ),
    ProjectSpec(
        code="GX-021", name="新能源电池隔膜项目", company="常熟恒膜新材料科技有限公司",
        sector="ev-batteries", park="equipment-park", category=IND,
        total=50_000, plan=22_000, pace=D("0.90"), responsible="qianweiguo", leader="leader",
        location="高端装备产业园（演示）E-05 地块",
        description="建设锂电池湿法隔膜生产线8条，年产隔膜4亿平方米。",
        milestones=(
            ms("立项备案", -1, 10, 31), ms("土地摘牌", -1, 12, 20), ms("开工", 0, 2, 20, 28),
            ms("主体封顶", 0, 8, 31, 20), ms("设备安装调试", 0, 12, 15, 15), ms("竣工投产", 1, 5, 31),
        ),
    ),
    ProjectSpec(
        code="GX-022", name="动力电池回收利用项目", company="江苏循能再生资源科技有限公司",
        sector="ev-batteries", park="equipment-park", category=IND,
        total=25_000, plan=8_000, responsible="lujianhua", leader="shenjianguo",
        location="高端装备产业园（演示）E-08 地块",
        description="建设退役动力电池梯次利用及再生利用生产线；上年12月因资金缺口停工。",
        milestones=(
            ms("立项备案", -1, 3, 31), ms("开工", -1, 8, 20), ms("主体封顶", 0, 3, 31),
            ms("设备安装调试", 0, 8, 31), ms("竣工投产", 0, 12, 31),
        ),
        suspended_from=(-1, 12, 10),
    ),
    ProjectSpec(
        code="GX-023", name="精密数控机床项目", company="常熟精工数控机床有限公司",
        sector="high-end-equipment", park="equipment-park", category=IND,
        total=35_000, plan=12_000, responsible="qianweiguo", leader="leader",
        location="高端装备产业园（演示）E-04 地块",
        description="建设五轴联动数控机床装配及精密加工车间，年产高端数控机床800台。",
        milestones=(
            ms("立项备案", -2, 10, 31), ms("开工", -1, 3, 31), ms("主体封顶", -1, 9, 30),
            ms("设备安装调试", 0, 3, 15, 20), ms("试生产", 0, 6, 15, 10), ms("竣工投产", 1, 3, 31),
        ),
    ),
    ProjectSpec(
        code="GX-024", name="航空零部件精密制造项目", company="江苏翔宇航空科技有限公司",
        sector="high-end-equipment", park="equipment-park", category=IND,
        total=45_000, plan=18_000, pace=D("0.95"), responsible="xumin", leader="shenjianguo",
        location="高端装备产业园（演示）E-07 地块",
        description="建设航空发动机及机载设备精密零部件加工、特种工艺车间。",
        milestones=(
            ms("立项备案", -1, 9, 15), ms("土地摘牌", -1, 11, 30), ms("开工", 0, 3, 31),
            ms("主体封顶", 0, 10, 15), ms("竣工投产", 1, 9, 30),
        ),
    ),
    ProjectSpec(
        code="GX-025", name="高新区智慧交通新基建工程", company="常熟高新区城市发展有限公司",
        sector="new-infrastructure", park="ai-park", category=INF,
        total=20_000, plan=8_000, pace=D("0.90"), responsible="lujianhua", leader="leader",
        location="高新区主干道路网",
        description="建设智能信号控制、车路协同路侧单元及交通大数据平台。",
        milestones=(
            ms("立项备案", -1, 11, 15), ms("开工", 0, 3, 15, 10),
            ms("完成主干道智能信号改造", 0, 8, 31), ms("竣工验收", 0, 12, 25),
        ),
    ),
    ProjectSpec(
        code="GX-026", name="科创人才公寓", company="常熟高新区人才安居发展有限公司",
        sector="modern-services", park="kunchenghu-island", category=SRV,
        total=30_000, plan=10_000, pace=D("0.95"), responsible="guting", leader="leader",
        location="昆承湖金融科技岛 K-09 地块",
        description="建设人才公寓800套及配套生活服务设施。",
        milestones=(
            ms("立项备案", -1, 5, 31), ms("开工", -1, 9, 30), ms("主体封顶", 0, 6, 30),
            ms("竣工验收", 1, 3, 31),
        ),
    ),
    ProjectSpec(
        code="GX-027", name="企业研发总部大厦", company="常熟智汇科创发展有限公司",
        sector="digital-economy", park="ai-park", category=SRV,
        total=40_000, plan=10_000, responsible="xumin", leader="leader",
        location="人工智能产业园 A-01 地块",
        description="建设研发总部大厦，引进软件和信息服务企业研发总部。",
        milestones=(
            ms("立项备案", -2, 9, 30), ms("开工", -2, 12, 31), ms("主体封顶", -1, 10, 31),
            ms("竣工验收", 0, 9, 30),
        ),
    ),
    ProjectSpec(
        code="GX-028", name="氢能源汽车检测认证中心", company="常熟氢安检测技术服务有限公司",
        sector="hydrogen-vehicles", park="hydrogen-vehicle-park", category=SRV,
        total=20_000, plan=4_000, responsible="guting", leader="shenjianguo",
        location="氢能源汽车产业园 H-06 地块",
        description="建设燃料电池系统及整车检测实验室，提供检测认证公共服务。",
        milestones=(
            ms("立项备案", 0, 3, 31), ms("土地摘牌", 0, 9, 30, 30), ms("开工", 1, 1, 31),
            ms("竣工验收", 1, 12, 31),
        ),
    ),
)
# fmt: on

PROJECTS = ARTICLE_PROJECTS + INVENTED_PROJECTS

# ------------------------------------------------------------------ visits and issues


@dataclass(frozen=True)
class Participant:
    side: VisitParticipant.Side
    name: str
    title: str = ""


@dataclass(frozen=True)
class VisitSpec:
    project: str
    # Visits have no natural key; the first line of the notes stands in for one.
    headline: str
    details: str
    created_by: str
    participants: tuple[Participant, ...]
    days_ago: int | None = None  # None (and no `in_month`): the article's day in April
    # (months before the load day's month, preferred day of that month): a visit of this
    # month or last, whatever the day the demo loads.
    in_month: tuple[int, int] | None = None
    instruction: str = ""  # 领导指示
    photos: int = 0  # site photos, drawn for the demo


@dataclass(frozen=True)
class Step:
    days: int  # after the issue was raised
    action: str
    status_after: IssueStatus
    actor: str = ""  # a username
    actor_name: str = ""  # someone without an account: a company, a department


@dataclass(frozen=True)
class IssueSpec:
    project: str
    title: str
    description: str
    category: Issue.Category
    steps: tuple[Step, ...]
    department: str = ""
    deadline_days: int = 0  # after the issue was raised
    severity: Issue.Severity = Issue.Severity.NORMAL
    visit: str = ""  # headline of the visit it was raised on
    days_ago: int = 0  # when not raised on a visit
    result: str = ""


@dataclass(frozen=True)
class Act:
    """A step of an issue's life cycle taken through the services (inspections.services):
    assign and close by the official who raised the issue, start and resolve by the
    department's member."""

    days: int  # after the issue was raised
    name: str  # a transition: assign, start, resolve, close
    comment: str = ""


@dataclass(frozen=True)
class HistoryIssueSpec:
    """An issue of the recent weeks, raised and followed through the services at the
    moments it happened, so its log reads as the app records it."""

    project: str
    title: str
    description: str
    category: Issue.Category
    department: str
    raised_by: str  # an official's username: assigns it, and closes it after checking
    acts: tuple[Act, ...]
    deadline_days: int  # after the issue was raised
    severity: Issue.Severity = Issue.Severity.NORMAL
    # (months before the load day's month, preferred day): when its last step is taken.
    last_step_in: tuple[int, int] | None = None
    days_ago: int = 0  # when raised, if `last_step_in` is not given
    result: str = ""


# The article's visits: both on one day in April of its year.
ARTICLE_VISIT_DAY: Day = (0, 4, 14)
VISITOR, CONTACT = VisitParticipant.Side.VISITOR, VisitParticipant.Side.SITE_CONTACT
YAO = Participant(VISITOR, "姚丽英", "市政协副主席、高新区管委会副主任")
ZHOU = Participant(VISITOR, "周明（演示）", "项目服务专员")
ZHENGLI_VISIT = "姚丽英到江苏正力新能电芯项目工地了解建设进度"
REFIRE_VISIT = "姚丽英到重塑能源科技项目现场考察厂房和生产线建设"
FILTER_VISIT = "现场督查5G基站滤波器项目设备进场情况"
DATACENTRE_VISIT = "数据中心项目供电接入现场协调"
ECON, HR = "经济发展局", "组织人事劳动局"
ASSIGNED, IN_PROGRESS = IssueStatus.ASSIGNED, IssueStatus.IN_PROGRESS
RESOLVED, CLOSED = IssueStatus.RESOLVED, IssueStatus.CLOSED

# fmt: off
VISITS = (
    VisitSpec(
        "GX-001", ZHENGLI_VISIT,
        "了解工程进度及困难。现场负责人陈华瑞介绍：{resumed}，部分建材产自湖北，到货不足，"
        "施工有所放缓。姚丽英要求企业请总部加紧调度原材料，抢回耽误的工期；"
        "来自疫情重点地区的运输如遇阻碍，由高新区出面协调。",
        "official", (YAO, ZHOU, Participant(CONTACT, "陈华瑞", "项目现场负责人")),
        instruction="请企业总部加紧调度原材料，抢回耽误的工期；来自疫情重点地区的运输如遇阻碍，"
                    "由高新区出面协调。",
    ),
    VisitSpec(
        "GX-002", REFIRE_VISIT,
        "察看厂房及生产线建设：{equipment}企业反映招聘渠道有限，大专院校尚未复课，"
        "校企定向合作暂时无法开展。姚丽英当场要求组织人事劳动局对接，协助解决招聘难题。",
        "official",
        (YAO, ZHOU, Participant(CONTACT, "刘志强（演示）", "江苏重塑能源科技有限公司总经理")),
        instruction="组织人事劳动局对接企业用工需求，协助组织专场招聘，联系相关院校推荐应届毕业生，"
                    "确保一期试生产用工到位。",
    ),
    VisitSpec(
        "GX-011", FILTER_VISIT,
        "厂房已封顶，进口调试设备滞留口岸，设备安装无法按节点开始。",
        "official",
        (ZHOU, Participant(VISITOR, "钱卫国（演示）", "经济发展局副局长"),
         Participant(CONTACT, "吴建（演示）", "项目经理")),
        days_ago=35,
    ),
    VisitSpec(
        "GX-014", DATACENTRE_VISIT,
        "机房土建基本完成，双回路供电外线工程尚未排定工期，影响机电调试。",
        "lujianhua",
        (Participant(VISITOR, "陆建华（演示）", "建设局工程科科长"),
         Participant(CONTACT, "孙磊（演示）", "工程部经理")),
        days_ago=28,
    ),
    # This month's and last month's visits, with photos and the leader's instruction.
    VisitSpec(
        "GX-022", "姚丽英到动力电池回收利用项目现场调研停工情况",
        "厂房主体已完成，生产设备尚未进场，工地停工。企业反映两家银行的授信评估仍未落地，"
        "复工资金缺口约8000万元。",
        "official",
        (YAO, ZHOU, Participant(CONTACT, "赵立新（演示）", "江苏循能再生资源科技有限公司董事长")),
        in_month=(0, 8), photos=2,
        instruction="财政局牵头，两周内再组织一次银企对接，同步梳理项目可申请的产业基金；"
                    "企业月底前拿出分步复工方案报管委会。经济发展局每周报一次进展。",
    ),
    VisitSpec(
        "GX-016", "沈建国到工业机器人研发制造基地检查设备安装",
        "主体已封顶，机器人本体装配线进入安装调试，核心零部件车间设备陆续到场。",
        "xumin",
        (Participant(VISITOR, "沈建国（演示）", "高新区管委会副主任"),
         Participant(VISITOR, "徐敏（演示）", "项目服务专员"),
         Participant(CONTACT, "黄海（演示）", "江苏锐科智能装备有限公司副总经理")),
        in_month=(0, 3), photos=2,
        instruction="对照竣工投产节点倒排调试计划；调试期间安全生产不放松，每周报一次进度。",
    ),
    VisitSpec(
        "GX-003", "姚丽英到昆承湖日航国际中心检查幕墙及机电安装",
        "塔楼幕墙安装过半，机电安装与精装修交叉作业，部分幕墙材料到场偏慢。",
        "lujianhua",
        (YAO, Participant(VISITOR, "陆建华（演示）", "建设局工程科科长"),
         Participant(CONTACT, "钱志远（演示）", "常熟昆承湖开发建设有限公司工程总监")),
        in_month=(1, 12), photos=2,
        instruction="建设局每周跟踪幕墙材料到场情况；机电安装与精装修交叉作业要排好工序，"
                    "确保竣工验收节点不后移。",
    ),
    VisitSpec(
        "GX-006", "走访氢燃料电池膜电极项目了解招工情况",
        "膜电极车间设备安装中，企业计划明年一季度招聘操作工60名。",
        "guting",
        (Participant(VISITOR, "顾婷（演示）", "重点项目办公室主任"),
         Participant(CONTACT, "马骏（演示）", "常熟氢芯新材料科技有限公司人事经理")),
        in_month=(1, 20), photos=1,
    ),
)

ISSUES = (
    IssueSpec(
        "GX-001", "部分建筑原材料来自湖北，供应不足",
        "{resumed}，湖北方向的钢材、水泥等建材到货不足，主体施工放缓。",
        Issue.Category.MATERIAL_SUPPLY,
        (
            Step(0, "交办经济发展局，跟踪原材料到货及运输情况。", ASSIGNED, actor="official"),
            Step(2, "总部加快调度原材料，重新排定湖北方向的发货计划。", IN_PROGRESS,
                 actor_name="江苏正力新能电池技术有限公司"),
            Step(6, "为来自疫情重点地区的运输车辆协调办理通行手续，首批建材到场。", IN_PROGRESS,
                 actor="official"),
            Step(12, "原材料供应恢复，施工班组增加夜间作业追赶进度。", RESOLVED, actor_name=ECON),
            Step(16, "现场核实建材到场、施工恢复，销号。", CLOSED, actor="official"),
        ),
        department="economic-development", deadline_days=15, severity=Issue.Severity.SERIOUS,
        visit=ZHENGLI_VISIT, result="原材料供应恢复，施工进度逐步追赶。",
    ),
    IssueSpec(
        "GX-002", "招聘渠道有限，院校未复课无法校企合作",
        "一期试生产临近，招聘渠道和资源有限；大专院校尚未复课，定向合作无法开展。",
        Issue.Category.HIRING,
        (
            Step(0, "交办组织人事劳动局，协助企业招聘。", ASSIGNED, actor="official"),
            Step(3, "对接企业用工需求，纳入高新区专场招聘活动。", IN_PROGRESS, actor_name=HR),
            Step(10, "组织线上专场招聘会，企业收到简历两百余份。", IN_PROGRESS, actor_name=HR),
            Step(18, "联系相关大专院校，落实应届毕业生到企业应聘。", RESOLVED, actor_name=HR),
            Step(35, "回访企业，试生产岗位用工基本到位，销号。", CLOSED, actor="official"),
        ),
        department="hr-labour", deadline_days=30, visit=REFIRE_VISIT,
        result="组织专场招聘并对接院校毕业生，用工缺口基本补齐。",
    ),
    IssueSpec(
        "GX-011", "进口调试设备清关延误",
        "两台进口调试设备滞留口岸，设备安装节点无法开始。",
        Issue.Category.LOGISTICS,
        (
            Step(0, "交办经济发展局，协调口岸加快清关。", ASSIGNED, actor="official"),
            Step(4, "对接海关，指导企业补充报关资料。", IN_PROGRESS, actor_name=ECON),
            Step(15, "一台设备已放行，另一台仍在查验。", IN_PROGRESS, actor_name=ECON),
        ),
        department="economic-development", deadline_days=28, severity=Issue.Severity.SERIOUS,
        visit=FILTER_VISIT,
    ),
    IssueSpec(
        "GX-014", "双回路供电接入工期未排定",
        "数据中心需双回路供电，外线工程尚未排定工期，影响机电调试。",
        Issue.Category.UTILITIES,
        (Step(1, "交办建设局，协调供电部门排定外线工期。", ASSIGNED, actor="lujianhua"),),
        department="construction", deadline_days=25, severity=Issue.Severity.SERIOUS,
        visit=DATACENTRE_VISIT,
    ),
    IssueSpec(
        "GX-008", "施工许可申报材料需补正",
        "施工许可申报材料不全，需补充规划设计文件后重新申报。",
        Issue.Category.APPROVALS,
        (
            Step(1, "交办自然资源和规划分局，指导企业补正材料。", ASSIGNED, actor="guting"),
            Step(3, "出具补正清单，企业正在补充设计文件。", IN_PROGRESS,
                 actor_name="自然资源和规划分局"),
        ),
        department="natural-resources", deadline_days=20, days_ago=12,
    ),
    IssueSpec(
        "GX-017", "洁净厂房用地红线需微调",
        "洁净厂房布置与用地红线存在冲突，需调整总平面布置。",
        Issue.Category.LAND, (), days_ago=4,
    ),
    IssueSpec(
        "GX-010", "外地技术人员返岗受限",
        "设备厂家技术人员来自外地，受疫情防控要求影响无法按期到场。",
        Issue.Category.EPIDEMIC,
        (
            Step(1, "交办组织人事劳动局，协助办理返岗手续。", ASSIGNED, actor="official"),
            Step(3, "协助办理健康证明，安排专车接返。", IN_PROGRESS, actor_name=HR),
            Step(9, "技术人员全部到岗。", RESOLVED, actor_name=HR),
            Step(12, "回访确认，销号。", CLOSED, actor="official"),
        ),
        department="hr-labour", deadline_days=14, days_ago=70, result="技术人员已全部到岗。",
    ),
    IssueSpec(
        "GX-022", "建设资金缺口，项目停工",
        "企业融资未到位，项目自上年12月停工。",
        Issue.Category.FINANCING,
        (
            Step(2, "交办财政局，协调银企对接。", ASSIGNED, actor="official"),
            Step(8, "组织银企对接会，两家银行开展授信评估。", IN_PROGRESS, actor_name="财政局"),
        ),
        # Past its deadline by weeks, so by more than 5 working days whatever the holidays.
        department="finance", deadline_days=20, severity=Issue.Severity.CRITICAL, days_ago=45,
    ),
)

# Closed this month and last, some on time and some late, across parks and departments
# (the 红黑榜 ranks them on 办结率), and a few still open past their deadline.
HISTORY_ISSUES = (
    HistoryIssueSpec(
        "GX-012", "两处基站选址与规划绿地冲突", "两处宏基站选址落在规划绿地内，需调整站址。",
        Issue.Category.APPROVALS, "natural-resources", "xumin",
        (Act(0, "assign", "交办自然资源和规划分局，协调调整站址。"),
         Act(2, "start", "会同运营商现场踏勘备选站址。"),
         Act(9, "resolve", "两处站址调整到道路附属用地，规划意见已出具。"),
         Act(11, "close", "核实新站址已开工，销号。")),
        deadline_days=12, last_step_in=(1, 9),
        result="两处站址调整到道路附属用地，规划意见已出具。",
    ),
    HistoryIssueSpec(
        "GX-026", "施工临时用电增容未批复", "人才公寓精装阶段用电负荷增加，临时用电增容申请未批复。",
        Issue.Category.UTILITIES, "construction", "guting",
        (Act(0, "assign", "交办建设局，协调供电部门办理增容。"),
         Act(4, "start", "与供电公司对接，补充负荷计算书。"),
         Act(19, "resolve", "增容方案获批，新增箱变已送电。"),
         Act(22, "close", "现场核实送电，销号。")),
        deadline_days=14, last_step_in=(1, 24),
        result="增容方案获批，新增箱变已送电。",
    ),
    HistoryIssueSpec(
        "GX-027", "周边道路施工影响物料进场", "园区道路改造封闭一个出入口，混凝土车辆绕行，影响浇筑。",
        Issue.Category.LOGISTICS, "economic-development", "xumin",
        (Act(0, "assign", "交办经济发展局，协调交通组织。"),
         Act(3, "start", "会同交警和施工单位研究临时通行方案。"),
         Act(15, "resolve", "开设临时便道，混凝土车辆分时段通行。"),
         Act(18, "close", "核实物料进场恢复，销号。")),
        deadline_days=10, last_step_in=(1, 16),
        result="开设临时便道，混凝土车辆分时段通行。",
    ),
    HistoryIssueSpec(
        "GX-006", "膜电极产线操作工招聘缺口", "设备安装临近完成，产线操作工缺口约60人。",
        Issue.Category.HIRING, "hr-labour", "guting",
        (Act(0, "assign", "交办组织人事劳动局，协助企业招聘。"),
         Act(2, "start", "纳入高新区月度专场招聘会。"),
         Act(12, "resolve", "专场招聘会企业录用操作工42名，其余由院校定向输送。"),
         Act(14, "close", "回访企业，用工缺口基本补齐，销号。")),
        deadline_days=20, last_step_in=(0, 4),
        result="专场招聘会企业录用操作工42名，其余由院校定向输送。",
    ),
    HistoryIssueSpec(
        "GX-018", "外立面方案调整需重新规划审查", "幕墙外立面方案调整，需重新办理规划审查，影响幕墙材料下单。",
        Issue.Category.APPROVALS, "natural-resources", "guting",
        (Act(0, "assign", "交办自然资源和规划分局，协调加快审查。"),
         Act(3, "start", "受理调整方案，安排专题审查。"),
         Act(17, "resolve", "规划审查意见已出具，企业按意见修改后通过。"),
         Act(20, "close", "核实幕墙材料已下单，销号。")),
        deadline_days=10, last_step_in=(0, 6),
        result="规划审查意见已出具，企业按意见修改后通过。",
    ),
    HistoryIssueSpec(
        "GX-016", "进口设备贷款贴息申报", "进口机器人减速机检测设备，企业申请贷款贴息，材料待审核。",
        Issue.Category.FINANCING, "finance", "official",
        (Act(0, "assign", "交办财政局，指导企业申报贴息。"),
         Act(1, "start", "预审申报材料，出具补正意见。"),
         Act(8, "resolve", "贴息资金已列入本批次拨付计划。"),
         Act(10, "close", "核实企业已收到拨付通知，销号。")),
        deadline_days=15, last_step_in=(0, 2),
        result="贴息资金已列入本批次拨付计划。",
    ),
    HistoryIssueSpec(
        "GX-025", "路侧单元管线迁改未落实", "主干道路侧单元安装需迁改既有通信管线，权属单位未排期。",
        Issue.Category.UTILITIES, "construction", "official",
        (Act(0, "assign", "交办建设局，协调管线权属单位排期迁改。"),
         Act(5, "start", "已发函权属单位，等待排期。")),
        deadline_days=15, days_ago=33,
    ),
    HistoryIssueSpec(
        "GX-021", "隔膜车间环评批复条件需落实", "环评批复要求增设废气处理设施，设计方案待审。",
        Issue.Category.APPROVALS, "economic-development", "official",
        (Act(0, "assign", "交办经济发展局，会同生态环境分局指导企业完善方案。"),
         Act(4, "start", "组织专家预审废气处理方案。")),
        deadline_days=25, days_ago=20,
    ),
)
# fmt: on
