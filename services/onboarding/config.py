from pydantic import Field

from shared.settings import ServiceSettings


class OnboardingSettings(ServiceSettings):
    port: int = Field(8101, validation_alias="OCO_ONBOARDING_PORT")
