"""The invoice PDF's footer, "Page X of Y", stamped on each page once the page count is known.

xhtml2pdf can print the page count only by laying the whole document out twice
(``<pdf:pagecount>`` asks ReportLab for a second pass), which was a third of a long invoice's
render time. The body is laid out once without a footer; the footer, whose one unknown is the
page count, is drawn here on an overlay and merged onto each page with pypdf (a dependency of
xhtml2pdf, which uses it for watermarks), using public APIs only.
"""

from functools import lru_cache
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from reportlab.lib.colors import HexColor
from reportlab.lib.units import cm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

# Where the footer frame of templates/invoices/pdf.html used to put it: inside the 2.2 cm bottom
# margin, the company on the left of the page's margins, the page number flush right.
MARGIN = 1.5 * cm
BASELINE = 1.6 * cm
FONT_SIZE = 7.5
LEADING = 1.5 * FONT_SIZE
COLOR = HexColor("#5b6576")
LEFT_SHARE = 0.7  # of the width between the margins; the page number has the rest


def stamp_footer(pdf: bytes, text: str, font_file: str | None = None) -> bytes:
    """``pdf`` with ``text`` and "Page X of Y" at the foot of every page.

    :param font_file: a TrueType font for the footer (the body's, so it reads the same and has
        the same characters); Helvetica without one.
    """
    reader = PdfReader(BytesIO(pdf))
    sizes = [(float(page.mediabox.width), float(page.mediabox.height)) for page in reader.pages]
    footers = PdfReader(BytesIO(_footers(text, sizes, font_name(font_file))))
    writer = PdfWriter(clone_from=reader)
    for page, footer in zip(writer.pages, footers.pages, strict=True):
        page.merge_page(footer)
        page.compress_content_streams()
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _footers(text: str, sizes: list[tuple[float, float]], font: str) -> bytes:
    out = BytesIO()
    canvas = Canvas(out, invariant=1, initialFontName=font)  # no unembedded Helvetica
    count = len(sizes)
    for number, (width, height) in enumerate(sizes, start=1):
        canvas.setPageSize((width, height))
        canvas.setFont(font, FONT_SIZE, LEADING)
        canvas.setFillColor(COLOR)
        left_width = (width - 2 * MARGIN) * LEFT_SHARE
        for row, line in enumerate(simpleSplit(text, font, FONT_SIZE, left_width)):
            canvas.drawString(MARGIN, BASELINE - row * LEADING, line)
        canvas.drawRightString(width - MARGIN, BASELINE, f"Page {number} of {count}")
        canvas.showPage()
    canvas.save()
    return out.getvalue()


@lru_cache(maxsize=4)
def font_name(font_file: str | None) -> str:
    """The ReportLab name of ``font_file`` (registered once), or Helvetica without one."""
    # Registered once per process: ReportLab keeps registered fonts for good, and reading the
    # TrueType file on every PDF would cost more than drawing the footer.
    if not font_file or not Path(font_file).is_file():
        return "Helvetica"
    name = f"InvoiceFooter-{Path(font_file).stem}"
    pdfmetrics.registerFont(TTFont(name, font_file))
    return name
