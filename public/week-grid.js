// The week grid's keyboard and mouse model, on top of the table the server drew. Without this
// script every free cell is already a link that books the shortest time from there (by Tab, by
// touch, by click); with it:
//   - the grid is one Tab stop; the arrow keys move through it (Home/End: first/last row);
//   - Enter (or Space) picks the start, Shift with the up/down arrows extends it within the day,
//     Enter again opens the booking form with that time, whose rules answer before anything is
//     sent; Escape clears;
//   - a mouse drag down a day's free cells opens the form with that stretch.
// Every choice is announced through the grid's live region. The words come from the page
// (data-t-* attributes), so they are in the reader's language; the times are the grid's own.
for (const table of document.querySelectorAll("table[data-week-grid]")) weekGrid(table);

function weekGrid(table) {
  const words = table.dataset;
  const status = document.getElementById(words.status);
  const step = Number(words.step);
  const dates = [...table.tHead.rows[0].cells].slice(1).map((th) => th.dataset.date);
  const days = [...table.tHead.rows[0].cells].slice(1).map((th) => th.textContent.trim());
  const rows = [...table.tBodies[0].rows];
  const times = rows.map((tr) => tr.cells[0].textContent.trim());
  const cell = (r, c) => rows[r]?.cells[c + 1];
  const free = (r, c) => cell(r, c)?.classList.contains("cell--free") ?? false;
  const say = (template, values) => {
    status.textContent = Object.entries(values).reduce((t, [k, v]) => t.replace(`{${k}}`, v), template);
  };

  // "HH:MM" + minutes, on `date`: [date, time], the next day past midnight.
  const later = (date, time, minutes) => {
    const [h, m] = time.split(":").map(Number);
    const t = new Date(`${date}T00:00:00Z`);
    t.setUTCMinutes(h * 60 + m + minutes);
    return [t.toISOString().slice(0, 10), t.toISOString().slice(11, 16)];
  };
  const label = (r, c) => `${days[c]} ${times[r]}`;
  const endLabel = (r, c) => later(dates[c], times[r], step)[1];

  // One Tab stop: the focused cell; the links inside the cells leave the tab order.
  for (const a of table.querySelectorAll("a.cell__book")) a.tabIndex = -1;
  const frame = table.closest(".week-grid__scroll");
  if (frame) frame.removeAttribute("tabindex");
  table.setAttribute("role", "grid");
  const first = table.querySelector("td:has(a.cell__book)") ?? cell(0, 0);
  let at = { r: rows.indexOf(first.parentElement), c: first.cellIndex - 1 };
  for (const [r, tr] of rows.entries()) {
    for (const td of [...tr.cells].slice(1)) {
      td.tabIndex = -1;
      td.dataset.row = r;
      td.dataset.col = td.cellIndex - 1;
    }
  }
  first.tabIndex = 0;

  // The choice: a column and a stretch of rows [from, to] from its anchor, all free.
  let choice = null;
  const chosen = () => (choice ? [Math.min(choice.anchor, choice.end), Math.max(choice.anchor, choice.end)] : null);
  const paint = () => {
    for (const td of table.querySelectorAll("td[aria-selected]")) {
      td.removeAttribute("aria-selected");
      td.classList.remove("cell--chosen");
    }
    const span = chosen();
    if (!span) return;
    for (let r = span[0]; r <= span[1]; r++) {
      cell(r, choice.c).setAttribute("aria-selected", "true");
      cell(r, choice.c).classList.add("cell--chosen");
    }
  };
  const announce = () => {
    const [a, b] = chosen();
    if (a === b && choice.anchor === choice.end && !choice.extended) say(words.tStart, { from: label(a, choice.c) });
    else say(words.tRange, { from: label(a, choice.c), to: endLabel(b, choice.c) });
  };
  const href = () => {
    const [a, b] = chosen();
    const [endDate, endTime] = later(dates[choice.c], times[b], step);
    return `${words.book}?starts=${dates[choice.c]}T${times[a]}&ends=${endDate}T${endTime}`;
  };

  const focus = (r, c) => {
    const target = cell(r, c);
    if (!target) return;
    cell(at.r, at.c).tabIndex = -1;
    target.tabIndex = 0;
    target.focus();
    target.scrollIntoView({ block: "nearest", inline: "nearest" });
    at = { r, c };
  };
  const pick = (r, c) => {
    if (!free(r, c)) {
      say(words.tTaken, { at: label(r, c) });
      return false;
    }
    choice = { c, anchor: r, end: r, extended: false };
    paint();
    announce();
    return true;
  };
  // Extends the choice to row `r` of its column when every cell between is free.
  const extend = (r) => {
    if (!choice || r < 0 || r >= rows.length) return false;
    const [a, b] = [Math.min(choice.anchor, r), Math.max(choice.anchor, r)];
    for (let i = a; i <= b; i++) {
      if (!free(i, choice.c)) {
        say(words.tTaken, { at: label(i, choice.c) });
        return false;
      }
    }
    choice.end = r;
    choice.extended = true;
    paint();
    announce();
    return true;
  };
  const inChoice = (r, c) => {
    const span = chosen();
    return span && c === choice.c && span[0] <= r && r <= span[1];
  };

  table.addEventListener("focusin", (e) => {
    const td = e.target.closest("td[data-row]");
    if (td) at = { r: Number(td.dataset.row), c: Number(td.dataset.col) };
    if (!status.textContent) status.textContent = words.tHint;
  });
  table.addEventListener("keydown", (e) => {
    if (!e.target.closest("td[data-row]")) return;
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (e.key in moves) {
      e.preventDefault();
      const [dr, dc] = moves[e.key];
      if (e.shiftKey && dr !== 0) {
        if (!choice || choice.c !== at.c || !inChoice(at.r, at.c)) {
          if (!pick(at.r, at.c)) return;
        }
        if (extend(choice.end + dr)) focus(choice.end, choice.c);
        return;
      }
      focus(Math.max(0, Math.min(rows.length - 1, at.r + dr)), Math.max(0, Math.min(dates.length - 1, at.c + dc)));
    } else if (e.key === "Home" || e.key === "End") {
      e.preventDefault();
      focus(e.key === "Home" ? 0 : rows.length - 1, at.c);
    } else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      if (e.key === "Enter" && inChoice(at.r, at.c)) window.location.assign(href());
      else pick(at.r, at.c);
    } else if (e.key === "Escape" && choice) {
      choice = null;
      paint();
      say(words.tCleared, {});
    }
  });

  // A mouse drag down one day's free cells; a plain click keeps following the cell's link.
  let drag = null;
  let swallowClick = false;
  table.addEventListener("pointerdown", (e) => {
    const td = e.target.closest("td[data-row]");
    if (e.pointerType !== "mouse" || e.button !== 0 || !td) return;
    const [r, c] = [Number(td.dataset.row), Number(td.dataset.col)];
    if (!free(r, c)) return;
    e.preventDefault();
    drag = { moved: false };
    focus(r, c);
    pick(r, c);
  });
  table.addEventListener("pointerover", (e) => {
    const td = e.target.closest("td[data-row]");
    if (!drag || !td || Number(td.dataset.col) !== choice?.c) return;
    const r = Number(td.dataset.row);
    if (r !== choice.end && extend(r)) {
      drag.moved = true;
      at = { r, c: choice.c };
    }
  });
  document.addEventListener("pointerup", () => {
    if (!drag) return;
    const moved = drag.moved;
    drag = null;
    if (moved) {
      swallowClick = true;
      window.location.assign(href());
    }
  });
  table.addEventListener(
    "click",
    (e) => {
      if (swallowClick) {
        e.preventDefault();
        swallowClick = false;
      }
    },
    true,
  );
}
