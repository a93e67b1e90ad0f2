"""Words the demo city is written with: names, places, posts, proposals, applications.

Fictional: the city of 桜川市 (Sakuragawa) and its residents. Nothing here is real data.
"""

from __future__ import annotations

CITY = "桜川市"

FAMILY_NAMES = [
    ("佐藤", "Sato"), ("鈴木", "Suzuki"), ("高橋", "Takahashi"), ("田中", "Tanaka"), ("伊藤", "Ito"),
    ("渡辺", "Watanabe"), ("山本", "Yamamoto"), ("中村", "Nakamura"), ("小林", "Kobayashi"), ("加藤", "Kato"),
    ("吉田", "Yoshida"), ("山田", "Yamada"), ("佐々木", "Sasaki"), ("山口", "Yamaguchi"), ("松本", "Matsumoto"),
    ("井上", "Inoue"), ("木村", "Kimura"), ("林", "Hayashi"), ("清水", "Shimizu"), ("森", "Mori"),
    ("池田", "Ikeda"), ("橋本", "Hashimoto"), ("石川", "Ishikawa"), ("前田", "Maeda"), ("岡田", "Okada"),
]
GIVEN_NAMES = [
    ("花子", "Hanako"), ("太郎", "Taro"), ("陽菜", "Hina"), ("蓮", "Ren"), ("結衣", "Yui"), ("大翔", "Hiroto"),
    ("さくら", "Sakura"), ("悠真", "Yuma"), ("美咲", "Misaki"), ("健太", "Kenta"), ("葵", "Aoi"), ("翔", "Sho"),
    ("真由美", "Mayumi"), ("誠", "Makoto"), ("由紀", "Yuki"), ("拓也", "Takuya"), ("愛", "Ai"), ("亮", "Ryo"),
    ("恵子", "Keiko"), ("浩二", "Koji"), ("彩", "Aya"), ("直樹", "Naoki"), ("千尋", "Chihiro"), ("剛", "Tsuyoshi"),
]
FOREIGN_NAMES = ["Emma Wilson", "Lucas Martin", "Mia Chen", "Noah Kim", "Olivia Brown", "Liam Garcia", "Sofia Rossi"]

PLACES = ["駅前商店街", "川沿いの遊歩道", "旧桜川小学校", "道の駅さくらがわ", "棚田", "漁港", "温泉街", "城山公園", "朝市", "図書館"]
PLACES_EN = ["the station arcade", "the riverside path", "the old school", "the roadside station", "the rice terraces",
             "the fishing port", "the hot-spring street", "Shiroyama park", "the morning market", "the library"]

# Post texts per department key (and "general" / "introductions"); `{place}` is filled in.
POSTS: dict[str, list[str]] = {
    "general": [
        "おはようございます！今日の{place}は気持ちのいい天気です。", "週末に{place}へ行ってきました。",
        "はじめて投稿します。よろしくお願いします。", "{place}で桜が咲き始めました🌸", "今日もおつかれさまでした。",
        "{place}のイベント、楽しかったです！", "雪が積もりました。皆さん足元に気をつけて。",
    ],
    "introductions": [
        "東京から参加しています。祖母が{city}出身です。", "{city}で生まれ育ちました。よろしくお願いします！",
        "移住を考えている会社員です。{place}が好きです。", "大阪在住、ふるさと納税がきっかけで参加しました。",
        "Hello! I live abroad but my family is from {city}.",
    ],
    "moving": [
        "空き家バンクの物件はどこで見られますか？", "移住体験住宅を使ってみた方、感想を聞かせてください。",
        "{place}の近くで仕事を探しています。", "冬の暮らしで準備しておくことはありますか？",
        "お試し移住の申し込みをしました！", "車がないと生活は難しいでしょうか？",
    ],
    "childcare": [
        "子どもと行ける公園を教えてください。", "{place}の子育て広場、雨の日も遊べて助かります。",
        "保育園の入園手続きについて質問です。", "夏休みの子ども向けイベントはありますか？",
    ],
    "photos": [
        "今朝の{place}です📷", "夕焼けの{place}を撮りました。", "{place}の紅葉がきれいでした🍁",
        "Morning light over {place_en}.", "祭りの写真をシェアします。",
    ],
    "ideas": [
        "{place}でオンライン交流会をしたらどうでしょう？", "移住希望者向けのお試し滞在があったらいいなと思います。",
        "住民の投稿からラジオ番組を作れないでしょうか。", "おすすめの場所をまとめた地図がほしいです。",
        "空き店舗を使ったコワーキングスペースはどうでしょう。",
    ],
    "places": [
        "{place}のカフェがおすすめです☕", "{place}からの眺めは最高です。", "地元の人しか知らない{place}の穴場を紹介します。",
        "{place}の朝市で新鮮な野菜が買えます。", "The view from {place_en} is wonderful.",
    ],
    "announcements": ["{city}からのお知らせです。"],
}
REPLIES = [
    "ありがとうございます！参考になります。", "私も気になっていました。", "いいですね！", "今度行ってみます。",
    "市役所の窓口で聞けますよ。", "先月使いました、とても良かったです。", "詳しく教えてもらえますか？",
    "Thanks, that's helpful!", "同じく賛成です👍", "写真すてきです！",
]
REACTIONS = [("+1", 30), ("heart", 18), ("clap", 12), ("smile", 10), ("pray", 8), ("tada", 6), ("eyes", 6),
             ("sparkles", 5), ("cherry_blossom", 5)]

RELATIONS = {
    "citizen": ["{city}に住んでいます。", "生まれも育ちも{city}です。", "{place}の近くに住んでいます。"],
    "prospective_migrant": ["{city}への移住を考えています。", "来年の移住を目指しています。", "お試し移住に興味があります。"],
    "remote_citizen": ["実家が{city}にあります。", "ふるさと納税で{city}を応援しています。", "学生時代を{city}で過ごしました。"],
}

PROPOSALS = [
    ("移住希望者のお試し滞在支援", "移住前に暮らしを体験する場がない", "空き家を使った1週間のお試し滞在を用意する", "moving"),
    ("住民が挙げた場所の地図", "おすすめの場所の情報が散らばっている", "投稿された場所を1枚の地図にまとめる", "places"),
    ("オンライン交流会", "遠方の住民が集まる機会がない", "毎月オンラインで交流会を開く", "ideas"),
    ("住民の投稿から作るラジオ番組", "市の魅力が外に伝わっていない", "投稿を紹介するラジオ番組を作る", "ideas"),
    ("雨の日に遊べる子どもの居場所", "雨の日に子どもが遊べる場所が少ない", "公民館を子どもの遊び場として開放する", "childcare"),
    ("写真コンテスト", "市の風景を発信したい", "季節ごとの写真コンテストを開く", "photos"),
    ("空き店舗のコワーキング", "リモートワークの場所がない", "商店街の空き店舗をコワーキングにする", "moving"),
    ("朝市の英語案内", "外国からの訪問者が朝市を楽しみにくい", "英語の案内板とマップを作る", "places"),
    ("子育て相談のオンライン窓口", "相談の予約が平日昼間だけ", "夜間のオンライン相談枠を作る", "childcare"),
    ("移住者の先輩に聞ける会", "移住後の生活のイメージがわかない", "移住した人と話せる会を開く", "moving"),
    ("棚田のオーナー制度", "棚田の担い手が減っている", "遠方の住民が棚田のオーナーになれる制度", "places"),
    ("デジタル住民証のデザイン", "デジタル住民としての一体感がない", "住民証のデザインを住民から募る", "ideas"),
]

MOTIVATIONS = [
    "{city}の魅力をもっと多くの人に伝えたいです。", "移住を考えている人の相談に乗りたいです。",
    "子育て世代の声を届けるお手伝いをしたいです。", "写真の経験を活かして発信を手伝いたいです。",
    "I would like to help people abroad connect with {city}.", "週末に少しずつでも市の役に立ちたいです。",
]
SKILLS = ["写真撮影", "ウェブデザイン", "イベント運営", "英語", "動画編集", "子育て支援の経験", "地域の歴史に詳しい", ""]
