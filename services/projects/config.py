from pydantic import AliasChoices, Field

from shared.settings import ServiceSettings


class ProjectsSettings(ServiceSettings):
    port: int = Field(8103, validation_alias=AliasChoices("OCO_PROJECTS_PORT", "port"))
    support_threshold: int = Field(10, ge=1, description="Supports that move an open proposal to review.")
