"""Chinese personal names: pools to draw from and the ways clerks write them wrongly.

Data tables only, plus two small helpers. Surname weights roughly follow the published
frequency order (王, 李, 张, 刘, 陈 … cover about a third of people), so a county gets the
crowds of 张伟 and 王芳 that make "same name, same village" not the same person.
"""

from __future__ import annotations

import numpy as np

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚"
    "邵万钱严覃武戴莫孔向汤"
)
SURNAME_WEIGHTS = np.array([1.0 / (i + 6) ** 1.1 for i in range(len(SURNAMES))])
SURNAME_WEIGHTS = SURNAME_WEIGHTS / SURNAME_WEIGHTS.sum()

MALE_CHARS = (
    "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发"
    "武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪"
    "心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启"
    "克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
)
FEMALE_CHARS = (
    "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹"
    "霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶"
    "怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希"
    "宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
)

COMMON_MALE = ("伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华",
               "飞", "波", "斌", "宇", "浩", "凯", "建华", "建国", "建军", "志强", "志勇", "海涛")
COMMON_FEMALE = ("芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "桂英", "秀英",
                 "秀兰", "玉兰", "桂兰", "丽娟", "红梅", "婷", "雪", "慧")

MINORITY_GIVEN_MALE = ("买买提", "艾力", "阿不都热依木", "吐尔逊", "热合曼", "努尔艾力",
                       "阿卜杜拉", "艾买尔", "亚森", "肉孜")
MINORITY_GIVEN_FEMALE = ("古丽", "阿依古丽", "帕提古丽", "迪丽拉", "热依拉", "努尔古丽",
                         "米日古丽", "再努尔", "阿米娜", "祖丽胡玛")
MINORITY_SEPARATORS = ("·", "•", ".", "", "．", "・")

# Twin given names: the second twin differs by one character, or in the first character.
TWIN_PAIRS = (("子涵", "子晗"), ("大伟", "小伟"), ("欣怡", "欣悦"), ("一鸣", "一航"),
              ("佳佳", "欣欣"), ("文博", "文轩"), ("梓涵", "梓萱"), ("浩然", "浩宇"),
              ("思雨", "思语"), ("晨阳", "晨曦"))

TRADITIONAL = str.maketrans({
    "陈": "陳", "刘": "劉", "张": "張", "杨": "楊", "黄": "黃", "赵": "趙", "吴": "吳", "孙": "孫",
    "马": "馬", "罗": "羅", "郑": "鄭", "谢": "謝", "许": "許", "韩": "韓", "冯": "馮", "邓": "鄧",
    "叶": "葉", "苏": "蘇", "吕": "呂", "卢": "盧", "钟": "鍾", "谭": "譚", "陆": "陸", "贾": "賈",
    "韦": "韋", "邹": "鄒", "龙": "龍", "贺": "賀", "顾": "顧", "龚": "龔", "万": "萬", "钱": "錢",
    "严": "嚴", "汤": "湯", "伟": "偉", "华": "華", "军": "軍", "兰": "蘭", "丽": "麗", "红": "紅",
    "国": "國", "东": "東", "凤": "鳳", "刚": "剛", "杰": "傑", "涛": "濤", "辉": "輝", "鹏": "鵬",
    "飞": "飛", "云": "雲", "艳": "艷", "静": "靜", "晓": "曉", "义": "義", "兴": "興", "贵": "貴",
    "胜": "勝", "学": "學", "祥": "祥", "发": "發", "顺": "順", "达": "達", "宁": "寧", "庆": "慶",
    "丰": "豐", "荣": "榮", "爱": "愛", "莲": "蓮", "凯": "凱", "秀": "秀", "娟": "娟",
})

# Characters typed by ear: same or near-same pinyin.
HOMOPHONES: dict[str, str] = {
    "伟": "玮", "玮": "伟", "明": "鸣", "军": "君", "强": "墙", "娜": "那", "静": "靜",
    "敏": "民", "丽": "莉", "莉": "丽", "芳": "方", "杰": "洁", "洁": "杰", "涛": "韬",
    "辉": "晖", "华": "桦", "红": "宏", "宏": "红", "玲": "琳", "琳": "玲", "燕": "艳",
    "艳": "燕", "霞": "侠", "峰": "锋", "锋": "峰", "波": "博", "斌": "彬", "彬": "斌",
    "鹏": "朋", "刚": "钢", "勇": "永", "永": "勇", "建": "健", "健": "建", "国": "郭",
    "英": "瑛", "兰": "岚", "梅": "玫", "婷": "亭", "雪": "学", "浩": "昊", "宇": "雨",
    "晨": "辰", "辰": "晨", "欣": "新", "怡": "宜", "涵": "晗", "萱": "轩", "轩": "萱",
    "秀": "修", "桂": "贵", "凤": "风", "春": "纯", "志": "智", "海": "海", "平": "萍",
    "萍": "平", "超": "朝", "飞": "菲", "云": "芸", "文": "雯", "雯": "文", "张": "章",
    "章": "张", "刘": "柳", "王": "汪", "汪": "王", "陈": "程", "程": "陈", "李": "黎",
    "黎": "李", "杨": "阳", "徐": "许", "许": "徐", "吴": "伍", "周": "邹",
}

# Characters mistaken for one another by shape.
LOOKALIKE: dict[str, str] = {
    "己": "已", "已": "己", "未": "末", "末": "未", "戊": "戍", "日": "曰", "天": "夭",
    "土": "士", "士": "土", "王": "玉", "玉": "王", "大": "太", "太": "大", "人": "入",
    "刀": "力", "力": "刀", "千": "干", "干": "千", "田": "由", "由": "田", "贝": "见",
    "候": "侯", "侯": "候", "崇": "祟", "析": "折", "汩": "汨", "荣": "菜", "洁": "浩",
    "晴": "睛", "兵": "乒", "冰": "水", "茂": "戊", "宾": "滨", "辛": "幸", "幸": "辛",
}

COMMON_NAME_SHARE = 0.12


def draw_given(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    """Draw given names: common ones for a share, else one or two characters by sex.

    Args:
        rng: The random generator.
        male: Boolean array, True for men.

    Returns:
        An object array of given names.
    """
    n = male.size
    m_chars = np.array(list(MALE_CHARS))
    f_chars = np.array(list(FEMALE_CHARS))
    first = np.where(male, m_chars[rng.integers(0, m_chars.size, n)],
                     f_chars[rng.integers(0, f_chars.size, n)])
    second = np.where(male, m_chars[rng.integers(0, m_chars.size, n)],
                      f_chars[rng.integers(0, f_chars.size, n)])
    two = rng.random(n) < 0.72
    given = np.where(two, np.char.add(first, second), first).astype(object)
    common = rng.random(n) < COMMON_NAME_SHARE
    common_m = np.array(COMMON_MALE, dtype=object)[rng.integers(0, len(COMMON_MALE), n)]
    common_f = np.array(COMMON_FEMALE, dtype=object)[rng.integers(0, len(COMMON_FEMALE), n)]
    return np.where(common, np.where(male, common_m, common_f), given)


def minority_names(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    """Compose Uyghur-style names ``given·father`` with the standard middle dot.

    Args:
        rng: The random generator.
        male: Boolean array, True for men.

    Returns:
        An object array of full names.
    """
    n = male.size
    given_m = np.array(MINORITY_GIVEN_MALE, dtype=object)[rng.integers(0, 10, n)]
    given_f = np.array(MINORITY_GIVEN_FEMALE, dtype=object)[rng.integers(0, 10, n)]
    father = np.array(MINORITY_GIVEN_MALE, dtype=object)[rng.integers(0, 10, n)]
    given = np.where(male, given_m, given_f)
    return np.array([f"{g}·{f}" for g, f in zip(given, father, strict=True)], dtype=object)
