"""HTML to PDF with the font that ships with the code, so every machine renders the same
Chinese glyphs and never boxes."""

from django.conf import settings


def font_face_css() -> str:
    family = settings.PDF_FONT_FAMILY
    return (
        f'@font-face {{ font-family: "{family}"; src: url("{settings.PDF_FONT_PATH.as_uri()}"); }}\n'
        f'html {{ font-family: "{family}"; }}\n'
        # SVG text does not inherit from outer CSS rules: charts repeat the family on <svg>.
        f'svg {{ font-family: "{family}"; }}\n'
    )


def preload() -> None:
    """Load WeasyPrint (and Pango) now: a worker does it as it starts, so that no render
    pays for it (about a second; make bench)."""
    _weasyprint()


def _weasyprint():
    # Imported on demand: WeasyPrint loads Pango, which only the PDF paths need.
    import weasyprint
    from PIL import ImageFile

    # Importing WeasyPrint tells Pillow, process-wide, to accept truncated images; photo
    # uploads in the same process must still refuse them (inspections.photos).
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return weasyprint


def html_to_pdf(html: str, *, extra_css: str = "") -> bytes:
    weasyprint = _weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    stylesheet = weasyprint.CSS(string=font_face_css() + extra_css, font_config=fonts)
    return weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        stylesheets=[stylesheet], font_config=fonts
    )
