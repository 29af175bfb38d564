"""Value words of the departments' systems, each with its meaning in plain English.

The words come from the systems' own dictionaries and export layouts found in public material
(see README.md in this folder for the sources). A concept maps each word as written to one
plain-English meaning; words that mean the same thing share the meaning, so a test can tell
whether a reader understood a word (``正常参保`` and ``参保缴费`` are both ``insured``).

Every value an extract writes into a column that carries a concept must appear here: the
truth writer raises on a word with no meaning, so the vocabulary and ``words.csv`` stay
complete.
"""

from __future__ import annotations

MEANINGS: dict[str, dict[str, str]] = {
    "sex": {
        "男": "male", "女": "female", "男性": "male", "女性": "female",
        "1": "male", "2": "female",
    },
    "relation_to_head": {
        "户主": "household head", "本人": "household head", "本人或户主": "household head",
        "配偶": "spouse", "之子": "son", "之女": "daughter", "子": "son", "女": "daughter",
        "之儿媳": "daughter-in-law", "儿媳": "daughter-in-law",
        "之女婿": "son-in-law", "女婿": "son-in-law",
        "之孙子": "grandson", "之孙女": "granddaughter",
        "孙子": "grandson", "孙女": "granddaughter",
        "之父": "father", "之母": "mother", "父亲": "father", "母亲": "mother",
    },
    "population_type": {
        "脱贫户": "poverty-alleviated household",
        "监测户": "household under monitoring",
        "脱贫户(监测户)": "poverty-alleviated household under monitoring",
        "脱贫人口": "poverty-alleviated person",
        "防返贫监测对象": "person under monitoring",
        "监测对象": "person under monitoring",
        "脱贫户（监测对象）": "poverty-alleviated household under monitoring",
    },
    "monitoring_category": {
        "脱贫不稳定户": "unstable poverty-alleviated household",
        "边缘易致贫户": "marginal household at risk of poverty",
        "突发严重困难户": "household in sudden severe hardship",
        "脱贫不稳定": "unstable poverty-alleviated household",
        "边缘易致贫": "marginal household at risk of poverty",
        "突发严重困难": "household in sudden severe hardship",
    },
    "risk_type": {
        "因病": "illness", "因残": "disability", "因学": "schooling costs", "因灾": "disaster",
        "因意外事故": "accident", "因产业项目失败": "failed business",
        "因务工就业不稳": "unstable employment", "缺劳动力": "lack of labour", "其他": "other",
        "疾病": "illness", "残疾": "disability", "上学": "schooling costs",
        "自然灾害": "disaster", "意外事故": "accident", "产业失败": "failed business",
        "就业不稳": "unstable employment", "缺劳力": "lack of labour", "其它": "other",
    },
    "risk_cleared": {
        "是": "yes", "否": "no", "已消除": "yes", "未消除": "no",
    },
    "health_status": {
        "健康": "healthy", "长期慢性病": "chronic illness", "患有大病": "serious illness",
        "残疾": "disabled",
    },
    "labour_ability": {
        "普通劳动力": "ordinary labour", "技能劳动力": "skilled labour",
        "弱劳动力或半劳动力": "weak or half labour", "丧失劳动力": "lost labour ability",
        "无劳动力": "no labour ability",
    },
    "education": {
        "学龄前儿童": "pre-school child", "文盲或半文盲": "illiterate", "小学": "primary school",
        "初中": "junior middle school", "高中": "senior middle school",
        "大专及以上": "college or above",
    },
    "ethnicity": {
        "汉族": "Han", "维吾尔族": "Uyghur", "回族": "Hui", "苗族": "Miao", "土家族": "Tujia",
        "汉": "Han", "维吾尔": "Uyghur", "回": "Hui", "苗": "Miao", "土家": "Tujia",
    },
    "contract_status": {
        "签约": "contracted", "续约": "contract renewed", "解约": "contract ended",
        "已签约": "contracted", "有效": "contracted", "已解约": "contract ended",
    },
    "service_package": {
        "基础服务包": "basic package", "基本公共卫生服务包": "basic package",
        "老年人服务包": "elderly package", "慢病服务包": "chronic disease package",
        "高血压个性化服务包": "hypertension package", "糖尿病个性化服务包": "diabetes package",
        "脱贫人口个性化服务包": "poverty-alleviated person package",
        "严重精神障碍服务包": "severe mental disorder package",
    },
    "population_group": {
        "一般人群": "general population", "老年人": "elderly", "高血压": "hypertension",
        "糖尿病": "diabetes", "精障": "severe mental disorder", "结核病": "tuberculosis",
        "残疾人": "disabled", "建档立卡": "registered poor", "脱贫人口": "poverty-alleviated",
        "城乡低保": "minimum living allowance", "城乡特困": "destitute person",
        "0-6岁儿童": "child 0-6", "孕产妇": "pregnant or postpartum woman",
    },
    "managed_disease": {
        "高血压": "hypertension", "原发性高血压": "hypertension",
        "糖尿病": "type 2 diabetes", "2型糖尿病": "type 2 diabetes",
        "严重精神障碍": "severe mental disorder", "重性精神病": "severe mental disorder",
        "精神分裂症": "severe mental disorder",
        "肺结核": "tuberculosis", "结核病": "tuberculosis",
    },
    "follow_up_way": {
        "门诊": "clinic visit", "家庭": "home visit", "电话": "phone",
        "门诊就诊": "clinic visit", "上门随访": "home visit", "电话随访": "phone",
    },
    "follow_up_result": {
        "控制满意": "controlled", "控制不满意": "not controlled", "不良反应": "adverse reaction",
        "并发症": "complication",
    },
    "serious_illness": {
        "儿童先天性心脏病": "congenital heart disease in children",
        "儿童白血病": "childhood leukaemia", "食管癌": "oesophageal cancer",
        "胃癌": "stomach cancer", "结肠癌": "colon cancer", "直肠癌": "rectal cancer",
        "终末期肾病": "end-stage renal disease", "尿毒症": "end-stage renal disease",
        "肺癌": "lung cancer", "乳腺癌": "breast cancer", "宫颈癌": "cervical cancer",
        "重性精神病": "severe mental disorder", "严重精神障碍": "severe mental disorder",
        "耐多药肺结核": "multidrug-resistant tuberculosis",
        "艾滋病机会性感染": "AIDS opportunistic infection",
        "急性心肌梗死": "acute myocardial infarction", "急性心梗": "acute myocardial infarction",
        "脑梗死": "cerebral infarction", "脑卒中": "cerebral infarction",
        "血友病": "haemophilia", "1型糖尿病": "type 1 diabetes", "甲亢": "hyperthyroidism",
        "唇腭裂": "cleft lip and palate", "肝癌": "liver cancer", "尘肺": "pneumoconiosis",
        "尘肺病": "pneumoconiosis", "白内障": "cataract", "慢性阻塞性肺气肿": "COPD",
    },
    "treatment_status": {
        "救治中": "under treatment", "正在救治": "under treatment", "待救治": "awaiting treatment",
        "已救治": "treated", "已治愈": "treated", "死亡": "died", "已死亡": "died",
        "放弃治疗": "treatment declined",
    },
    "assistance_type": {
        "城市低保": "urban minimum living allowance", "农村低保": "rural minimum living allowance",
        "城乡低保": "minimum living allowance", "低保": "minimum living allowance",
        "特困人员": "destitute person", "特困供养": "destitute person",
        "分散供养特困人员": "destitute person, dispersed support",
        "集中供养特困人员": "destitute person, institutional support",
        "农村特困": "destitute person", "城市特困": "destitute person",
    },
    "assistance_status": {
        "正常": "active", "在保": "active", "停保": "stopped", "暂停": "suspended",
        "已退出": "stopped",
    },
    "death_cause": {
        "疾病死亡": "illness", "正常死亡": "natural death", "意外死亡": "accident",
        "病故": "illness",
    },
    "enrolment_status": {
        "正常参保": "insured", "暂停参保": "suspended", "终止参保": "terminated",
        "参保缴费": "insured", "暂停缴费": "suspended", "终止缴费": "terminated",
        "正常": "insured", "暂停": "suspended", "终止": "terminated",
    },
    "insurance_type": {
        "城乡居民基本医疗保险": "resident basic medical insurance",
        "居民医保": "resident basic medical insurance",
        "390": "resident basic medical insurance",
        "职工基本医疗保险": "employee basic medical insurance",
        "310": "employee basic medical insurance",
    },
    "insured_category": {
        "普通居民": "ordinary resident", "特困供养人员": "destitute person",
        "低保对象": "minimum living allowance recipient", "脱贫人口": "poverty-alleviated person",
        "监测对象": "person under monitoring", "在校学生": "student",
        "城乡居民": "ordinary resident", "特困人员": "destitute person",
        "低保户": "minimum living allowance recipient", "脱贫户": "poverty-alleviated person",
        "防返贫监测对象": "person under monitoring",
    },
    "subsidy_type": {
        "特困人员全额资助": "full subsidy (destitute)",
        "低保对象定额资助": "fixed subsidy (minimum living allowance)",
        "脱贫人口定额资助": "fixed subsidy (poverty-alleviated)",
        "监测对象定额资助": "fixed subsidy (monitored)",
        "全额资助": "full subsidy (destitute)", "定额资助": "fixed subsidy",
        "不资助": "no subsidy", "无": "no subsidy",
    },
    "medical_type": {
        "住院": "inpatient", "普通住院": "inpatient", "单病种住院": "inpatient",
    },
    "one_stop": {
        "是": "yes", "否": "no", "1": "yes", "0": "no",
    },
    "urban_rural_code": {
        "111": "main urban area", "112": "urban-rural fringe", "121": "town centre",
        "122": "town-village fringe", "123": "special area", "210": "township centre",
        "220": "village",
    },
}


def meaning(concept: str, word: str) -> str:
    """Return the plain-English meaning of ``word`` under ``concept``.

    Args:
        concept: A key of :data:`MEANINGS`.
        word: The word as an extract writes it.

    Returns:
        The meaning.

    Raises:
        KeyError: If the word is not in the vocabulary (a generator bug).
    """
    try:
        return MEANINGS[concept][word]
    except KeyError:
        msg = f"no meaning for {word!r} under concept {concept!r}: add it to vocab.MEANINGS"
        raise KeyError(msg) from None
