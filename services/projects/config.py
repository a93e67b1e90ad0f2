from pydantic import Field

from shared.settings import ServiceSettings


class ProjectsSettings(ServiceSettings):
    port: int = 8103
    support_threshold: int = Field(10, ge=1, description="Supports that move an open proposal to review.")
