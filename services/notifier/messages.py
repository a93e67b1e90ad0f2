"""What the notifier says, in Japanese and English, and how it picks the language."""

from __future__ import annotations

from shared.events import Category

DEFAULT_LANGUAGE = "ja"
LANGUAGES = ("ja", "en")


def language_of(value: str | None) -> str | None:
    """`ja`/`en` for a language or Slack locale (`ja-JP`, `en_US`, `EN`), else None."""
    if not value:
        return None
    prefix = value.strip().lower().replace("_", "-").split("-")[0]
    return prefix if prefix in LANGUAGES else None


def choose_language(*, explicit: str | None = None, locale: str | None = None) -> str:
    """The event's language if it names one we speak, else the Slack locale's, else ja."""
    return language_of(explicit) or language_of(locale) or DEFAULT_LANGUAGE


TEXTS: dict[str, dict[str, str]] = {
    "ja": {
        "welcome_title": "オンライン市役所へようこそ！",
        "welcome_title_named": "{name}さん、オンライン市役所へようこそ！",
        "welcome_body": (
            "このワークスペースは市役所のようにできていて、各「課」がチャンネルです。\n"
            "まずはプロフィールを設定して、まちとの関わり（市民・移住検討中・ふるさと市民）と"
            "関心のあることを教えてください。あなたに合う課をご案内します。"
        ),
        "open_profile": "プロフィールを設定する",
        "resident_title": "デジタル住民になりました 🎉",
        "resident_body": "*{category}* としてご登録いただきました。ようこそ！",
        "recommend_intro": "あなたの関心に合う課です：",
        "recommend_none": "関心のある課はまだ選ばれていません。プロフィールからいつでも追加できます。",
        "invited": "{channel} に招待しました",
        "not_invitable": "#{channel_name}（チャンネルが未設定のため自動で招待できません。チャンネル一覧から参加してください）",
        "updated_title": "プロフィールを更新しました",
        "updated_body": "区分：*{category}*",
        "updated_new": "新しく関心を持った課：",
        "category_citizen": "市民",
        "category_prospective_migrant": "移住検討中",
        "category_remote_citizen": "ふるさと市民",
        "announcement_from": "📢 市からのお知らせ",
        "announcement_also_in": "{channel} にも掲載しています。",
        "moved_in_title": "ご移住おめでとうございます 🎉",
        "moved_in_body": "デジタル住民から、まちの住民になりましたね。これからもオンライン市役所で、まちのことを一緒に話しましょう。",
    },
    "en": {
        "welcome_title": "Welcome to the Online City Office!",
        "welcome_title_named": "Welcome to the Online City Office, {name}!",
        "welcome_body": (
            "This workspace is laid out like a city hall: each department is a channel.\n"
            "Set up your profile to tell us how you relate to the city (citizen, thinking of "
            "moving here, or remote citizen) and what interests you; we'll point you to the "
            "departments that fit."
        ),
        "open_profile": "Set up my profile",
        "resident_title": "You are now a digital resident 🎉",
        "resident_body": "You joined as a *{category}*. Welcome!",
        "recommend_intro": "Departments that match your interests:",
        "recommend_none": "You haven't picked any interests yet; add them from your profile any time.",
        "invited": "invited you to {channel}",
        "not_invitable": "#{channel_name} (no channel is configured yet, so we can't invite you; join it from the channel list)",
        "updated_title": "Your profile was updated",
        "updated_body": "Category: *{category}*",
        "updated_new": "Newly added departments:",
        "category_citizen": "citizen",
        "category_prospective_migrant": "prospective migrant",
        "category_remote_citizen": "remote citizen",
        "announcement_from": "📢 From the city",
        "announcement_also_in": "Also posted in {channel}.",
        "moved_in_title": "Congratulations on your move 🎉",
        "moved_in_body": "You went from digital resident to resident. Keep talking about the city with us here in the Online City Office.",
    },
}


def say(language: str, key: str, **values: str) -> str:
    """The text `key` in `language` (ja when unknown), filled with `values`."""
    texts = TEXTS.get(language, TEXTS[DEFAULT_LANGUAGE])
    return texts[key].format(**values)


def category_name(language: str, category: Category | str) -> str:
    return say(language, f"category_{Category(category).value}")
