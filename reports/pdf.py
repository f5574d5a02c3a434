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


def html_to_pdf(html: str, *, extra_css: str = "") -> bytes:
    # Imported here: WeasyPrint loads Pango, which only the PDF paths need.
    from PIL import ImageFile
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    # Importing WeasyPrint tells Pillow, process-wide, to accept truncated images; photo
    # uploads in the same process must still refuse them (inspections.photos).
    ImageFile.LOAD_TRUNCATED_IMAGES = False

    fonts = FontConfiguration()
    stylesheet = CSS(string=font_face_css() + extra_css, font_config=fonts)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        stylesheets=[stylesheet], font_config=fonts
    )
