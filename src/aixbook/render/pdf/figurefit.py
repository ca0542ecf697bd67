"""Images a little too tall for the space left at a page's foot (the layout rule of
issue 24; WeasyPrint 70 has no CSS for it).

An image is never split: when the line holding it does not fit, WeasyPrint moves it (and,
for the widows rule, the lines before it) to the next page, and the page above stops
short. This patch of the line loop (``layout.inline.iter_line_boxes``) lays such a line
out again with the image scaled down to the space left, keeping its proportions, when

- the line holds only the image (a figure's, or one standing alone in a paragraph or a
  list item; white space and the link around it aside),
- the image keeps at least ``MIN_SCALE`` of its height, and
- moving it would leave more than ``MIN_EMPTY`` of the page's height down to its bottom
  margin empty (the layout knows where the page's frame ends, not where it starts).

Everything else is WeasyPrint's: a line that still does not fit goes to the next page as
before, where the image has its full size. The layout depends only on where the line
falls, so a page laid out again (a renumbering round, a resumed preview, another process)
is the same page.
"""

from __future__ import annotations

MIN_SCALE = 0.8
MIN_EMPTY = 0.25

#: (image, largest content height) while the one line holding it is laid out again.
_cap: tuple[object, float] | None = None


def install() -> None:
    import weasyprint.layout.block as block
    import weasyprint.layout.inline as inline
    from weasyprint.formatting_structure import boxes

    line_boxes = inline.iter_line_boxes  # hyphens.py's, when it is installed
    replaced_layout = inline.inline_replaced_box_layout

    def fitted_line_boxes(context, box, position_y, bottom_space, skip_stack, containing_block, *rest):
        lines = _lines(line_boxes(context, box, position_y, bottom_space, skip_stack, containing_block, *rest))
        top, start, first = position_y, skip_stack, True
        for line, resume_at in lines:
            fitted = _fit(context, line, resume_at, bottom_space, containing_block, boxes)
            if fitted is not None:
                # The same line again, from where it started, with the image capped.
                firsts = rest[2:] if first else (None, None)
                again = line_boxes(context, box, top, bottom_space, start, containing_block, *rest[:2], *firsts)
                global _cap
                _cap = fitted
                try:
                    line_again, resume_again = next(again)
                finally:
                    _cap = None
                if not _overflows(context, line_again, resume_again, bottom_space, containing_block):
                    lines.switch(again)
                    line, resume_at = line_again, resume_again
            yield line, resume_at
            top, start, first = line.position_y + line.height, resume_at, False

    def capped_replaced_layout(box, containing_block):
        replaced_layout(box, containing_block)
        if _cap is not None and box.replacement is _cap[0] and box.height > _cap[1]:
            box.width *= _cap[1] / box.height
            box.height = _cap[1]

    fitted_line_boxes.__aixbook_original__ = getattr(  # type: ignore[attr-defined]
        line_boxes, "__aixbook_original__", line_boxes
    )
    capped_replaced_layout.__aixbook_original__ = replaced_layout  # type: ignore[attr-defined]
    inline.iter_line_boxes = fitted_line_boxes
    block.iter_line_boxes = fitted_line_boxes
    inline.inline_replaced_box_layout = capped_replaced_layout


class _lines:
    """An iterator of lines whose source can be replaced by another generator."""

    def __init__(self, lines):
        self.lines = lines

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.lines)

    def switch(self, lines) -> None:
        self.lines = lines


def _bottom(line, resume_at, containing_block) -> float:
    """Where ``line`` ends, with its box's bottom border and padding when it is the last
    (what WeasyPrint's block layout tests against the page's foot)."""
    decoration = 0 if resume_at is not None else containing_block.border_bottom_width + containing_block.padding_bottom
    return line.position_y + line.height + decoration


def _overflows(context, line, resume_at, bottom_space, containing_block) -> bool:
    return context.overflows_page(bottom_space, _bottom(line, resume_at, containing_block))


def _fit(context, line, resume_at, bottom_space, containing_block, boxes) -> tuple[object, float] | None:
    """(image, height it may have) when ``line`` holds only an image, overflows the page,
    and fits with the image at ``MIN_SCALE`` of its height or more where moving it would
    leave more than ``MIN_EMPTY`` of the page empty; else None."""
    bottom = _bottom(line, resume_at, containing_block)
    if not context.overflows_page(bottom_space, bottom):
        return None
    room = context.page_bottom - bottom_space
    if room - line.position_y <= MIN_EMPTY * context.page_bottom:
        return None
    image = _only_image(line, boxes)
    if image is None or image.height <= 0:
        return None
    height = image.height - (bottom - room)
    if height < MIN_SCALE * image.height:
        return None
    return image.replacement, height


def _only_image(line, boxes):
    """The replaced box ``line`` holds when it holds nothing else but white space and the
    inline boxes around it (a link); else None."""
    found, stack = [], list(line.children)
    while stack:
        child = stack.pop()
        if isinstance(child, boxes.InlineReplacedBox):
            found.append(child)
        elif isinstance(child, boxes.TextBox):
            if child.text.strip():
                return None
        elif isinstance(child, boxes.InlineBox):
            stack.extend(child.children)
        else:
            return None
    return found[0] if len(found) == 1 else None
