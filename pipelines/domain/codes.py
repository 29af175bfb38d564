"""Canonical code lists: the categorical values the rules and rollups reason about."""

from __future__ import annotations

POPULATION_TYPES = ("脱贫人口", "监测对象")
MONITORING_CATEGORIES = ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")
RISK_CAUSES = ("因病", "因残", "因学", "因灾", "因意外事故", "缺劳力", "因务工就业不稳", "其他")
CHRONIC_DISEASES = ("高血压", "2型糖尿病", "肺结核", "严重精神障碍")
ILLNESS_STATUSES = ("待救治", "救治中", "已救治", "死亡", "放弃救治")
ASSISTANCE_TYPES = ("低保", "特困供养", "临时救助")
ENROL_STATUSES = ("参保缴费", "暂停", "终止")
SUBSIDY_TYPES = ("特困全额资助", "低保定额资助", "脱贫人口资助", "监测对象资助", "无")

# The 30 serious illnesses of 大病专项救治 (国卫办医函〔2019〕 30 种).
SERIOUS_ILLNESSES: tuple[str, ...] = (
    "儿童急性淋巴细胞白血病", "儿童急性早幼粒细胞白血病", "儿童先天性房间隔缺损",
    "儿童先天性室间隔缺损", "儿童先天性动脉导管未闭", "儿童先天性肺动脉瓣狭窄", "食管癌", "胃癌",
    "结肠癌", "直肠癌", "终末期肾病", "乳腺癌", "宫颈癌", "重性精神病", "耐多药结核病",
    "艾滋病机会性感染", "肺癌", "肝癌", "急性心肌梗死", "白内障", "尘肺", "神经母细胞瘤",
    "儿童淋巴瘤", "骨肉瘤", "血友病", "地中海贫血", "唇腭裂", "尿道下裂", "发育性髋关节发育不良",
    "1型糖尿病",
)
