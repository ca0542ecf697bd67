"""The hyphenation rules that need the laid-out lines (the others are the assembler's:
aixbook/hyphenate.py puts soft hyphens only where a word may break).

WeasyPrint 70 has no ``hyphenate-limit-lines`` and no ``hyphenate-limit-last``. This
patch of its line loop (``layout.inline.iter_line_boxes``) counts the hyphenated lines
of each paragraph as they are made, and lays out the next line without its soft
hyphens (each becomes U+034F COMBINING GRAPHEME JOINER: the same two UTF-8 bytes, so
every offset stays right, no break opportunity, no glyph drawn and no text extracted)
when it would be

- the third hyphenated line in a row (``MAX_RUN``), or
- the last line that fits on the page: a word is never split across a page turn.

A line is hyphenated when its last text box ends with the hyphenate character WeasyPrint
added at a soft hyphen (an author's own "decision-" ends with U+002D and is not counted).
"""

from __future__ import annotations

SOFT = "\u00ad"
GLUE = "\u034f"  # as long as SOFT in UTF-8, no break, no glyph
MAX_RUN = 2


def install() -> None:
    import weasyprint.layout.block as block
    import weasyprint.layout.inline as inline

    iter_line_boxes = inline.iter_line_boxes
    split_text_box = inline.split_text_box

    def limited_line_boxes(context, box, position_y, bottom_space, *args, **kwargs):
        lines = iter_line_boxes(context, box, position_y, bottom_space, *args, **kwargs)
        outer = getattr(context, "aixbook_no_hyphens", False)
        run, ban = 0, False
        try:
            while True:
                context.aixbook_no_hyphens = ban
                try:
                    line, resume_at = next(lines)
                finally:
                    context.aixbook_no_hyphens = outer
                yield line, resume_at
                run = run + 1 if _hyphenated(line) else 0
                bottom = line.position_y + line.height
                room = context.page_bottom - bottom_space
                # The next line is the page's last when it fits and one more would not.
                last_on_page = bottom + line.height <= room < bottom + 2 * line.height
                ban = run >= MAX_RUN or last_on_page
        except StopIteration:
            return

    def glued_text_box(context, box, available_width, skip, is_line_start=True):
        if getattr(context, "aixbook_no_hyphens", False) and SOFT in box.text:
            box = box.copy_with_text(box.text.replace(SOFT, GLUE))
        return split_text_box(context, box, available_width, skip, is_line_start)

    limited_line_boxes.__aixbook_original__ = iter_line_boxes  # type: ignore[attr-defined]
    glued_text_box.__aixbook_original__ = split_text_box  # type: ignore[attr-defined]
    inline.iter_line_boxes = limited_line_boxes
    block.iter_line_boxes = limited_line_boxes
    inline.split_text_box = glued_text_box


def _hyphenated(line) -> bool:
    box = line
    while getattr(box, "children", None):
        box = box.children[-1]
    text, mark = getattr(box, "text", None) or "", box.style["hyphenate_character"]
    return bool(mark) and text.endswith(mark)
