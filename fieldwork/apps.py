from django.apps import AppConfig


class FieldworkConfig(AppConfig):
    name = "fieldwork"
    verbose_name = "Fieldwork"

    def ready(self) -> None:
        from fieldwork import checks  # noqa: F401  (registers them)
