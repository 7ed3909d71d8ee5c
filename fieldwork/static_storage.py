"""Static files storage for production: whitenoise's hashed, compressed copies."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticStorage(CompressedManifestStaticFilesStorage):
    """Hash and compress static files, tolerating source maps that are not shipped.

    Minified CSS and JS end with a `sourceMappingURL` comment; Bootstrap's copy here and
    some packages' assets name a `.map` file they do not include, and the manifest storage
    would stop collectstatic on it. Such a reference is left as it is (a browser's
    developer tools ask for it and get a 404); any other missing file still fails.
    """

    def hashed_name(self, name, content=None, filename=None):
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:
            if name.split("?", 1)[0].split("#", 1)[0].strip().endswith(".map"):
                return name
            raise
