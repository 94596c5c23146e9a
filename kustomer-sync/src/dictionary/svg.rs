//! Draws the [`Diagram`] as SVG with a fixed grid layout: no layout engine,
//! no network, the same bytes for the same definitions.

use std::fmt::Write;

use super::erd::{Diagram, Entity};

const MARGIN: f64 = 30.0;
const BOX_W: f64 = 330.0;
const COL_GAP: f64 = 110.0;
const ROW_GAP: f64 = 70.0;
const HEADER_H: f64 = 30.0;
const KEY_H: f64 = 19.0;
const CHILD_H: f64 = 16.0;
const TOP: f64 = 96.0;
const SANS: &str = "Helvetica, Arial, sans-serif";
const MONO: &str = "Menlo, Consolas, 'DejaVu Sans Mono', monospace";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn color(e: &Entity) -> &'static str {
    if e.name.starts_with("kobject_") {
        "#6b46c1"
    } else if e.mode == "update" {
        "#2b6cb0"
    } else {
        "#2f855a"
    }
}

fn height(e: &Entity) -> f64 {
    let children = if e.children.is_empty() {
        0.0
    } else {
        10.0 + e.children.len() as f64 * CHILD_H
    };
    HEADER_H + 8.0 + e.keys.len() as f64 * KEY_H + children + 6.0
}

#[derive(Clone, Copy)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Rect {
    fn cx(&self) -> f64 {
        self.x + self.w / 2.0
    }
    fn cy(&self) -> f64 {
        self.y + self.h / 2.0
    }
}

/// Where boxes go: column x, and each row's top from the tallest box above it.
fn layout(d: &Diagram) -> Vec<Rect> {
    let rows = d.entities.iter().map(|e| e.row + 1).max().unwrap_or(0);
    let mut row_h = vec![0.0f64; rows];
    for e in &d.entities {
        row_h[e.row] = row_h[e.row].max(height(e));
    }
    let mut row_y = vec![TOP; rows];
    for r in 1..rows {
        row_y[r] = row_y[r - 1] + row_h[r - 1] + ROW_GAP;
    }
    d.entities
        .iter()
        .map(|e| Rect {
            x: MARGIN + e.col as f64 * (BOX_W + COL_GAP),
            y: row_y[e.row],
            w: BOX_W,
            h: height(e),
        })
        .collect()
}

fn entity_box(out: &mut String, e: &Entity, r: Rect) {
    let c = color(e);
    let _ = writeln!(
        out,
        r##"<rect x="{:.0}" y="{:.0}" width="{:.0}" height="{:.0}" rx="6" fill="#ffffff" stroke="{c}" stroke-width="1.5"/>"##,
        r.x, r.y, r.w, r.h
    );
    let _ = writeln!(
        out,
        r##"<path d="M{x:.0},{y2:.0} v-{h1:.0} a6,6 0 0 1 6,-6 h{w:.0} a6,6 0 0 1 6,6 v{h1:.0} z" fill="{c}"/>"##,
        x = r.x,
        y2 = r.y + HEADER_H,
        h1 = HEADER_H - 6.0,
        w = r.w - 12.0
    );
    let _ = writeln!(
        out,
        r##"<text x="{:.0}" y="{:.0}" font-family="{SANS}" font-size="15" font-weight="bold" fill="#ffffff">{}</text>"##,
        r.x + 10.0,
        r.y + 20.0,
        esc(&e.name)
    );
    let _ = writeln!(
        out,
        r##"<text x="{:.0}" y="{:.0}" font-family="{SANS}" font-size="11" fill="#ffffff" text-anchor="end">{}</text>"##,
        r.x + r.w - 10.0,
        r.y + 19.0,
        e.mode
    );
    let mut y = r.y + HEADER_H + 8.0 + 13.0;
    for (i, (k, to)) in e.keys.iter().enumerate() {
        let tag = if i == 0 { "PK" } else { "FK" };
        let _ = writeln!(
            out,
            r##"<text x="{:.0}" y="{y:.0}" font-family="{SANS}" font-size="10" fill="#718096">{tag}</text>"##,
            r.x + 10.0
        );
        let _ = writeln!(
            out,
            r##"<text x="{:.0}" y="{y:.0}" font-family="{MONO}" font-size="12" fill="#1a202c">{}{}</text>"##,
            r.x + 32.0,
            esc(k),
            to.as_ref()
                .map(|t| format!(r##"<tspan fill="#718096"> → {}</tspan>"##, esc(t)))
                .unwrap_or_default()
        );
        y += KEY_H;
    }
    if !e.children.is_empty() {
        let sep = y - 9.0;
        let _ = writeln!(
            out,
            r##"<line x1="{:.0}" y1="{sep:.0}" x2="{:.0}" y2="{sep:.0}" stroke="#cbd5e0"/>"##,
            r.x + 8.0,
            r.x + r.w - 8.0
        );
        y += 4.0;
        for (child, note) in &e.children {
            let note = if note.is_empty() {
                String::new()
            } else {
                format!(
                    r##"<tspan dx="6" fill="#a0aec0" font-family="{SANS}" font-size="10">{}</tspan>"##,
                    esc(note)
                )
            };
            let _ = writeln!(
                out,
                r##"<text x="{:.0}" y="{y:.0}" font-family="{MONO}" font-size="11" fill="#2d3748">{}{note}</text>"##,
                r.x + 18.0,
                esc(child)
            );
            y += CHILD_H;
        }
    }
}

/// The point where the segment from the centre of `r` towards `(tx, ty)` leaves `r`.
fn exit(r: Rect, tx: f64, ty: f64) -> (f64, f64) {
    let (dx, dy) = (tx - r.cx(), ty - r.cy());
    let sx = if dx == 0.0 {
        f64::INFINITY
    } else {
        (r.w / 2.0) / dx.abs()
    };
    let sy = if dy == 0.0 {
        f64::INFINITY
    } else {
        (r.h / 2.0) / dy.abs()
    };
    let s = sx.min(sy);
    (r.cx() + dx * s, r.cy() + dy * s)
}

/// A link's path and where its label goes.
fn route(a: Rect, b: Rect, same_col: bool, adjacent: bool, lane: f64) -> (String, f64, f64) {
    if same_col && adjacent {
        let x = a.cx() + lane;
        let (y1, y2) = if a.y > b.y { (a.y, b.y + b.h) } else { (a.y + a.h, b.y) };
        return (
            format!("M{x:.0},{y1:.0} L{x:.0},{y2:.0}"),
            x + 40.0,
            (y1 + y2) / 2.0 + 4.0,
        );
    }
    if same_col {
        // Around the boxes in between, on the right.
        let x = a.x + a.w + 28.0 + lane.abs();
        let (y1, y2) = (a.y + 40.0, b.y + 40.0);
        let path = format!(
            "M{:.0},{y1:.0} L{x:.0},{y1:.0} L{x:.0},{y2:.0} L{:.0},{y2:.0}",
            a.x + a.w,
            b.x + b.w
        );
        return (path, x, (y1 + y2) / 2.0 - 6.0);
    }
    let (x1, y1) = exit(a, b.cx(), b.cy() + lane);
    let (x2, y2) = exit(b, a.cx(), a.cy() + lane);
    (
        format!("M{x1:.0},{y1:.0} L{x2:.0},{y2:.0}"),
        (x1 + x2) / 2.0,
        (y1 + y2) / 2.0 - 4.0,
    )
}

fn areas_box(out: &mut String, d: &Diagram, y0: f64, width: f64) -> f64 {
    const COLS: usize = 4;
    let col_w = (width - 20.0) / COLS as f64;
    let mut heights = [0.0f64; COLS];
    let mut body = String::new();
    for (i, (area, tables)) in d.areas.iter().enumerate() {
        // Fill the shortest column first, in order.
        let c = (0..COLS)
            .min_by(|&a, &b| heights[a].total_cmp(&heights[b]).then(a.cmp(&b)))
            .unwrap_or(i % COLS);
        let x = MARGIN + 10.0 + c as f64 * col_w;
        let mut y = y0 + 56.0 + heights[c];
        let _ = writeln!(
            body,
            r##"<text x="{x:.0}" y="{y:.0}" font-family="{SANS}" font-size="13" font-weight="bold" fill="#2f855a">{}</text>"##,
            esc(area)
        );
        y += 18.0;
        for (t, children) in tables {
            let kids = if children.is_empty() {
                String::new()
            } else {
                format!(
                    r##"<tspan dx="6" fill="#a0aec0" font-size="10">+ {}</tspan>"##,
                    esc(&children.join(", "))
                )
            };
            let _ = writeln!(
                body,
                r##"<text x="{x:.0}" y="{y:.0}" font-family="{MONO}" font-size="11" fill="#2d3748">{}{kids}</text>"##,
                esc(t)
            );
            y += 15.0;
        }
        heights[c] = y + 14.0 - (y0 + 56.0);
    }
    let h = heights.iter().cloned().fold(0.0, f64::max) + 50.0;
    let _ = writeln!(
        out,
        r##"<rect x="{MARGIN:.0}" y="{y0:.0}" width="{width:.0}" height="{h:.0}" rx="6" fill="#f7fafc" stroke="#2f855a" stroke-dasharray="5,3"/>"##
    );
    let _ = writeln!(
        out,
        r##"<text x="{:.0}" y="{:.0}" font-family="{SANS}" font-size="15" font-weight="bold" fill="#2f855a">Configuration and other tables <tspan font-weight="normal" font-size="12" fill="#4a5568">(read in full every run; + their child tables)</tspan></text>"##,
        MARGIN + 10.0,
        y0 + 26.0
    );
    out.push_str(&body);
    h
}

/// The SVG document.
pub fn render(d: &Diagram) -> String {
    let rects = layout(d);
    let cols = d.entities.iter().map(|e| e.col + 1).max().unwrap_or(1) as f64;
    let width = cols * BOX_W + (cols - 1.0) * COL_GAP;
    let bottom = rects.iter().map(|r| r.y + r.h).fold(TOP, f64::max);
    let mut body = String::new();
    let _ = writeln!(
        body,
        r##"<text x="{MARGIN:.0}" y="40" font-family="{SANS}" font-size="22" font-weight="bold" fill="#1a202c">kustomer-rs: the core tables</text>"##
    );
    let _ = writeln!(
        body,
        r##"<text x="{MARGIN:.0}" y="64" font-family="{SANS}" font-size="12" fill="#4a5568"><tspan fill="#2b6cb0" font-weight="bold">■ update</tspan> (incremental)   <tspan fill="#2f855a" font-weight="bold">■ replace</tspan> (read in full)   <tspan fill="#6b46c1" font-weight="bold">■ one table per klass</tspan>   child tables are keyed by (parent key, _position); keys into users and teams (created_by_id, modified_by_id, …) are not drawn</text>"##
    );
    // Links under the boxes, their labels above.
    let mut labels = String::new();
    for (i, l) in d.links.iter().enumerate() {
        let (Some(a), Some(b)) = (
            d.entities.iter().position(|e| e.name == l.from),
            d.entities.iter().position(|e| e.name == l.to),
        ) else {
            continue;
        };
        let (ea, eb) = (&d.entities[a], &d.entities[b]);
        let same_col = ea.col == eb.col;
        let adjacent = ea.row.abs_diff(eb.row) == 1;
        // Links leaving the same box spread apart.
        let nth = d.links[..i].iter().filter(|o| o.from == l.from).count() as f64;
        let lane = if same_col { nth * 36.0 - 20.0 } else { nth * 14.0 };
        let (path, lx, ly) = route(rects[a], rects[b], same_col, adjacent, lane);
        let _ = writeln!(
            body,
            r##"<path d="{path}" fill="none" stroke="#4a5568" stroke-width="1.4" marker-end="url(#arrow)"/>"##
        );
        let _ = writeln!(
            labels,
            r##"<text x="{lx:.0}" y="{ly:.0}" font-family="{MONO}" font-size="11" fill="#c05621" stroke="#ffffff" stroke-width="3" paint-order="stroke" text-anchor="middle">{}</text>"##,
            esc(&l.column)
        );
    }
    for (e, r) in d.entities.iter().zip(&rects) {
        entity_box(&mut body, e, *r);
    }
    body.push_str(&labels);
    let areas_h = areas_box(&mut body, d, bottom + ROW_GAP, width);
    let total_w = width + 2.0 * MARGIN;
    let total_h = bottom + ROW_GAP + areas_h + MARGIN;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{total_w:.0}" height="{total_h:.0}" viewBox="0 0 {total_w:.0} {total_h:.0}">"##
    );
    out.push_str("<!-- Generated from the table definitions (kustomer_sync::dictionary); do not edit. -->\n");
    out.push_str(r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#4a5568"/></marker></defs>"##);
    out.push('\n');
    let _ = writeln!(out, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    out.push_str(&body);
    out.push_str("</svg>\n");
    out
}
