"""The `import-labs` command's table: every row with its status, then what happens next."""

from __future__ import annotations

from itp_monitor.domain.problems import fmt_number
from itp_monitor.domain.wording import counted
from itp_monitor.services.lab_import import LabPreview


def as_table(preview: LabPreview) -> str:
    kind = "HL7 v2" if preview.kind == "hl7" else "CSV"
    if preview.layout is not None:
        shown = {",": "comma", ";": "semicolon", "\t": "tab"}[preview.layout.delimiter]
        kind += f", {shown}-separated, {preview.layout.encoding}"
    lines = [
        f"Laboratory file {preview.source} ({kind}): {counted(len(preview.rows), 'result')}",
        "",
    ]
    lines.append(f"{'line':>5}  {'MRN':<12} {'collected':<16} {'×10⁹/L':>8}  {'status':<16} reason")
    for r in preview.rows:
        # isoformat, not %Y: strftime writes the year 1 as "1"
        when = r.collected_at.isoformat(sep=" ", timespec="minutes") if r.collected_at else "—"
        value = fmt_number(r.value) if r.value is not None else "—"
        lines.append(
            f"{r.line:>5}  {(r.mrn or '—'):<12} {when:<16} {value:>8}  "
            f"{r.status.label:<16} {r.reason or (f'note: {r.note}' if r.note else '')}".rstrip()
        )
    summary = preview.summary
    lines.append("")
    lines.append("Summary: " + ", ".join(f"{n} {s.label}" for s, n in summary.items()) + ".")
    to_save = sum(n for s, n in summary.items() if s.saved)
    what = preview.to_save
    if preview.saved:
        lines.append(f"Saved {what}.")
    elif to_save:
        lines.append(f"Nothing was saved: run again with --yes to save {what}.")
    else:
        lines.append("Nothing to save.")
    return "\n".join(lines)
