from shared.settings import ServiceSettings


class OnboardingSettings(ServiceSettings):
    port: int = 8101
