"""What the gateway says to people, in Japanese first and English second."""

from __future__ import annotations

from shared.events import Category

CATEGORY_LABELS: dict[Category, tuple[str, str]] = {
    Category.CITIZEN: ("市民（まちに住んでいる）", "Citizen (I live in the city)"),
    Category.PROSPECTIVE_MIGRANT: ("移住を検討中", "Prospective migrant (thinking of moving here)"),
    Category.REMOTE_CITIZEN: ("まちの応援団（市外から）", "Remote citizen (ties to the city, living elsewhere)"),
}
LANGUAGE_LABELS = {"ja": "日本語", "en": "English"}

PROFILE_TITLE = "プロフィール / Profile"
PROFILE_SUBMIT = "送信 / Send"
PROFILE_CLOSE = "閉じる / Close"
PROFILE_INTRO = (
    "あなたとまちの関わりを教えてください。いつでも `/oco profile` で変更できます。\n"
    "Tell us how you relate to the city. You can change it any time with `/oco profile`."
)
LABEL_CATEGORY = "まちとの関わり / How you relate to the city"
LABEL_DISPLAY_NAME = "表示名 / Display name"
LABEL_LANGUAGE = "言語 / Language"
LABEL_RELATION = "まちとのつながり（自由記入） / Your connection to the city (free text)"
LABEL_INTERESTS = "興味のある課 / Departments you are interested in"
LABEL_CONSENT = "同意 / Consent"
CONSENT_OPTION = "コミュニティのルールとデータの扱いに同意します / I agree to the community rules and data use"

ERROR_CONSENT = "参加には同意が必要です。 / Please agree to take part."
ERROR_CATEGORY = "選択肢から選んでください。 / Please choose one of the options."
ERROR_LANGUAGE = "日本語か English を選んでください。 / Please choose Japanese or English."
ERROR_INTERESTS = "知らない課が含まれています。 / Some departments are unknown."
ERROR_TOO_LONG = "{limit}文字以内でお願いします。 / Please keep it under {limit} characters."

HOME_TITLE = "オンライン市役所へようこそ / Welcome to the Online City Office"
HOME_BODY = (
    "このワークスペースは市役所のように、課ごとのチャンネルでできています。"
    "まずはプロフィールを登録して、あなたに合った課を見つけてください。\n"
    "This workspace is laid out like a city hall: each department is a channel. "
    "Set up your profile to be pointed to the departments that fit you."
)
SETUP_PROFILE_BUTTON = "プロフィールを登録 / Set up my profile"

LEAVE_QUESTION = (
    "市役所の住民登録をやめますか？ あなたのプロフィールと個人データは削除されます"
    "（ワークスペースからは退出しません）。\n"
    "Leave the city office? Your profile and personal data will be deleted "
    "(you stay in the workspace)."
)
LEAVE_CONFIRM = "やめる / Leave"
LEAVE_CANCEL = "キャンセル / Cancel"
LEAVE_DONE = "住民登録をやめました。データは削除されます。ありがとうございました。\nYou have left the city office; your data will be deleted. Thank you."
LEAVE_CANCELLED = "キャンセルしました。引き続きよろしくお願いします。\nCancelled — glad you are staying."

HELP_HEADER = "`/oco` でできること / What `/oco` can do"
UNKNOWN_SUBCOMMAND = (
    "`/oco {name}` はわかりませんでした。使えるコマンド: {known}\n"
    "I don't know `/oco {name}`. Available: {known}. Try `/oco help`."
)
