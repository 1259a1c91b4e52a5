//! Pictures of the canvas: the very shapes the designer paints for a
//! model, written out as SVG, and that SVG rasterised to PNG.
//!
//! The canvas is drawn by the same `canvas_ui` the window uses, in a
//! headless egui context sized so the model fits at 100 % zoom; the shapes
//! egui collects (without the background grid) are then translated one by one (rectangles, circles,
//! paths, Bézier curves, text with each glyph's position), so a picture
//! never drifts from what the window shows. PNG goes through `resvg` with
//! egui's own fonts loaded from memory: no display, GPU or system font is
//! needed, which keeps it usable from the command line and in CI.

use std::fmt::Write as _;
use std::sync::Arc;

use eframe::egui::{
    self, Color32, FontFamily, Pos2, Rect, Shape, Stroke, StrokeKind, epaint, pos2, vec2,
};
use sim_core::Model;

use crate::gui::canvas::{CanvasState, Overlay, canvas_ui, drawing_bounds};
use crate::gui::layout;

/// Empty space around the cards (the canvas's zoom-to-fit margin).
const MARGIN: f32 = 60.0;

/// The colours of a picture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Look {
    /// Light background: for documents and slides.
    #[default]
    Light,
    /// Dark background, as the app's dark theme.
    Dark,
}

impl std::str::FromStr for Look {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "light" => Ok(Self::Light),
            "dark" => Ok(Self::Dark),
            other => Err(format!("unknown look `{other}`: expected light or dark")),
        }
    }
}

/// Why a picture could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PictureError {
    #[error("the SVG could not be read back for rasterising: {0}")]
    Svg(String),
    #[error("the picture is too large to rasterise ({width} × {height} pixels)")]
    TooLarge { width: u32, height: u32 },
    #[error("the PNG could not be encoded: {0}")]
    Png(String),
}

/// The largest PNG side in pixels (a 500-node model at scale 2 fits).
const MAX_SIDE: u32 = 16_384;

/// The canvas of `model` as an SVG document.
pub fn canvas_svg(model: &Model, look: Look) -> String {
    let (size, shapes) = canvas_shapes(model, look);
    shapes_to_svg(&shapes, size, &model.name)
}

/// The canvas of `model` as a PNG image, `scale` pixels per point.
pub fn canvas_png(model: &Model, look: Look, scale: f32) -> Result<Vec<u8>, PictureError> {
    svg_to_png(&canvas_svg(model, look), scale)
}

/// Rasterises an SVG made by [`canvas_svg`], with egui's fonts.
pub fn svg_to_png(svg: &str, scale: f32) -> Result<Vec<u8>, PictureError> {
    let tree = read_svg(svg)?;
    let scale = if scale.is_finite() && scale > 0.0 {
        scale
    } else {
        1.0
    };
    render(&tree, scale)?
        .encode_png()
        .map_err(|e| PictureError::Png(e.to_string()))
}

/// Rasterises an SVG made by [`canvas_svg`] to fit within `fit` pixels,
/// keeping its proportions: its size in pixels and its premultiplied RGBA
/// bytes, row by row (the start page's thumbnails).
pub fn svg_to_rgba(svg: &str, fit: [u32; 2]) -> Result<([usize; 2], Vec<u8>), PictureError> {
    let tree = read_svg(svg)?;
    let size = tree.size();
    #[expect(clippy::cast_precision_loss, reason = "pixel counts are small")]
    let scale = (fit[0] as f32 / size.width()).min(fit[1] as f32 / size.height());
    let pixmap = render(&tree, scale)?;
    let dims = [pixmap.width() as usize, pixmap.height() as usize];
    Ok((dims, pixmap.take()))
}

/// Reads back an SVG made by [`canvas_svg`], with egui's fonts.
fn read_svg(svg: &str) -> Result<resvg::usvg::Tree, PictureError> {
    resvg::usvg::Tree::from_str(svg, &svg_options()).map_err(|e| PictureError::Svg(e.to_string()))
}

/// How SVG is read back: with egui's fonts, Ubuntu by default.
fn svg_options() -> resvg::usvg::Options<'static> {
    let mut options = resvg::usvg::Options::default();
    let fonts = Arc::make_mut(&mut options.fontdb);
    for data in egui::FontDefinitions::default().font_data.values() {
        fonts.load_font_data(data.font.as_ref().as_ref().to_vec());
    }
    options.font_family = "Ubuntu".to_owned();
    options
}

/// Draws `tree` at `scale` pixels per point.
fn render(tree: &resvg::usvg::Tree, scale: f32) -> Result<resvg::tiny_skia::Pixmap, PictureError> {
    let size = tree.size().to_int_size().scale_by(scale);
    let (width, height) = size.map_or((0, 0), |s| (s.width(), s.height()));
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(PictureError::TooLarge { width, height });
    }
    let mut pixmap = resvg::tiny_skia::Pixmap::new(width, height)
        .ok_or(PictureError::TooLarge { width, height })?;
    resvg::render(
        tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    Ok(pixmap)
}

/// Paints the canvas headless; returns the picture's size and the shapes.
fn canvas_shapes(model: &Model, look: Look) -> (egui::Vec2, Vec<epaint::ClippedShape>) {
    let mut painter = CanvasPainter::new(model, look);
    let shapes = painter.paint(None);
    (painter.size(), shapes)
}

/// The canvas painted headless, again and again: the model laid out as
/// pictures show it, at one canvas unit a point, in an egui context kept
/// from one picture to the next (an animation's frames).
#[derive(Debug)]
pub struct CanvasPainter {
    ctx: egui::Context,
    /// The model as drawn: laid out if its file has no positions. Its
    /// indices are the given model's.
    model: Model,
    bounds: Rect,
    size: egui::Vec2,
    /// Whether a pass has loaded the fonts and sized the panels.
    warm: bool,
}

impl CanvasPainter {
    pub fn new(model: &Model, look: Look) -> Self {
        let mut model = model.clone();
        if layout::needs_layout(&model) {
            // Files without positions are drawn as the designer would lay them out.
            let _ = model.apply(layout::arrange(&model));
        }
        let bounds = drawing_bounds(&model);
        let size = if bounds.is_positive() {
            bounds.size() + vec2(2.0 * MARGIN, 2.0 * MARGIN)
        } else {
            vec2(400.0, 240.0)
        };
        let size = vec2(size.x.ceil(), size.y.ceil());
        let ctx = egui::Context::default();
        ctx.set_visuals(match look {
            Look::Light => egui::Visuals::light(),
            Look::Dark => egui::Visuals::dark(),
        });
        Self {
            ctx,
            model,
            bounds,
            size,
            warm: false,
        }
    }

    /// The picture's size in points.
    pub fn size(&self) -> egui::Vec2 {
        self.size
    }

    /// The shapes of the canvas, with `overlay` (a live run) drawn over it.
    pub fn paint(&mut self, mut overlay: Option<&mut dyn Overlay>) -> Vec<epaint::ClippedShape> {
        let input = egui::RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, self.size)),
            ..egui::RawInput::default()
        };
        // The first pass loads fonts and sizes panels; the next is the picture.
        let passes = if self.warm { 1 } else { 2 };
        self.warm = true;
        let mut shapes = Vec::new();
        for _ in 0..passes {
            let mut state = CanvasState::default();
            state.show_grid = false;
            // One canvas unit a point, the cards a margin in from the corner.
            if self.bounds.is_positive() {
                state.set_view(1.0, vec2(MARGIN, MARGIN) - self.bounds.min.to_vec2());
            }
            let model = &self.model;
            let mut output = self.ctx.run_ui(input.clone(), |ui| {
                egui::CentralPanel::default()
                    .frame(egui::Frame::NONE)
                    .show(ui, |ui| {
                        // NOTE: a reborrow for this pass only (the
                        // overlay serves every pass).
                        let overlay: Option<&mut dyn Overlay> = match &mut overlay {
                            Some(o) => Some(&mut **o),
                            None => None,
                        };
                        let _ = canvas_ui(ui, model, &[], &mut state, overlay);
                    });
            });
            // Nothing uploads textures here: the font atlas is not needed.
            output.textures_delta.clear();
            shapes = output.shapes;
        }
        shapes
    }

    /// The canvas as an SVG document, with `overlay` drawn over it.
    pub fn svg(&mut self, overlay: Option<&mut dyn Overlay>) -> String {
        let shapes = self.paint(overlay);
        shapes_to_svg(&shapes, self.size, &self.model.name)
    }
}

/// Rasterises the SVG documents of [`canvas_svg`] and [`CanvasPainter`]
/// one after the other, with egui's fonts loaded once.
#[derive(Debug)]
pub struct Rasteriser {
    options: resvg::usvg::Options<'static>,
}

impl Default for Rasteriser {
    fn default() -> Self {
        Self::new()
    }
}

impl Rasteriser {
    pub fn new() -> Self {
        Self {
            options: svg_options(),
        }
    }

    /// `svg` at `scale` pixels per point: its size in pixels and its
    /// premultiplied RGBA bytes, row by row.
    pub fn rgba(&self, svg: &str, scale: f32) -> Result<([u32; 2], Vec<u8>), PictureError> {
        let tree = resvg::usvg::Tree::from_str(svg, &self.options)
            .map_err(|e| PictureError::Svg(e.to_string()))?;
        let pixmap = render(&tree, scale)?;
        Ok(([pixmap.width(), pixmap.height()], pixmap.take()))
    }
}

/// Writes egui's shapes as SVG elements.
fn shapes_to_svg(shapes: &[epaint::ClippedShape], size: egui::Vec2, title: &str) -> String {
    let mut svg = Svg::default();
    for clipped in shapes {
        svg.clip = clipped.clip_rect;
        svg.shape(&clipped.shape);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#,
        w = num(size.x),
        h = num(size.y)
    );
    let _ = writeln!(out, "<title>{}</title>", escape(title));
    if !svg.clips.is_empty() {
        out.push_str("<defs>\n");
        for (i, r) in svg.clips.iter().enumerate() {
            let _ = writeln!(
                out,
                r#"<clipPath id="c{i}"><rect x="{}" y="{}" width="{}" height="{}"/></clipPath>"#,
                num(r.min.x),
                num(r.min.y),
                num(r.width()),
                num(r.height())
            );
        }
        out.push_str("</defs>\n");
    }
    out.push_str(&svg.body);
    out.push_str("</svg>\n");
    out
}

/// SVG text being written, with the clip rectangles used so far.
struct Svg {
    body: String,
    clip: Rect,
    clips: Vec<Rect>,
}

impl Default for Svg {
    fn default() -> Self {
        Self {
            body: String::new(),
            clip: Rect::EVERYTHING,
            clips: Vec::new(),
        }
    }
}

impl Svg {
    /// The clip attribute for a shape covering `bounds`, if it needs one.
    fn clip_attr(&mut self, bounds: Rect) -> String {
        if !self.clip.is_finite() || self.clip.contains_rect(bounds) {
            return String::new();
        }
        let i = match self.clips.iter().position(|c| *c == self.clip) {
            Some(i) => i,
            None => {
                self.clips.push(self.clip);
                self.clips.len() - 1
            }
        };
        format!(r#" clip-path="url(#c{i})""#)
    }

    fn element(&mut self, bounds: Rect, text: &str) {
        if bounds.is_finite() && !bounds.intersects(self.clip) {
            return;
        }
        let clip = self.clip_attr(bounds);
        // The clip attribute goes right after the element name.
        let name_end = text.find([' ', '>']).unwrap_or(text.len());
        self.body.push_str(&text[..name_end]);
        self.body.push_str(&clip);
        self.body.push_str(&text[name_end..]);
        self.body.push('\n');
    }

    fn shape(&mut self, shape: &Shape) {
        match shape {
            Shape::Noop | Shape::Callback(_) => {}
            Shape::Vec(shapes) => {
                for s in shapes {
                    self.shape(s);
                }
            }
            Shape::Circle(c) => {
                let text = format!(
                    r#"<circle cx="{}" cy="{}" r="{}"{}{}/>"#,
                    num(c.center.x),
                    num(c.center.y),
                    num(c.radius),
                    fill(c.fill),
                    stroke(c.stroke)
                );
                self.element(shape.visual_bounding_rect(), &text);
            }
            Shape::Ellipse(e) => {
                let text = format!(
                    r#"<ellipse cx="{}" cy="{}" rx="{}" ry="{}"{}{}{}/>"#,
                    num(e.center.x),
                    num(e.center.y),
                    num(e.radius.x),
                    num(e.radius.y),
                    rotation(e.angle, e.center),
                    fill(e.fill),
                    stroke(e.stroke)
                );
                self.element(shape.visual_bounding_rect(), &text);
            }
            Shape::LineSegment { points, stroke: s } => {
                let text = format!(
                    r#"<line x1="{}" y1="{}" x2="{}" y2="{}"{}/>"#,
                    num(points[0].x),
                    num(points[0].y),
                    num(points[1].x),
                    num(points[1].y),
                    stroke(*s)
                );
                self.element(shape.visual_bounding_rect(), &text);
            }
            Shape::Path(p) => {
                let color = path_color(&p.stroke.color, &p.points);
                let s = Stroke::new(p.stroke.width, color);
                let points: Vec<String> = p
                    .points
                    .iter()
                    .map(|q| format!("{},{}", num(q.x), num(q.y)))
                    .collect();
                let element = if p.closed { "polygon" } else { "polyline" };
                let fill_attr = if p.closed {
                    fill(p.fill)
                } else {
                    r#" fill="none""#.to_owned()
                };
                let text = format!(
                    r#"<{element} points="{}"{fill_attr}{} stroke-linejoin="round"/>"#,
                    points.join(" "),
                    stroke(s)
                );
                self.element(shape.visual_bounding_rect(), &text);
            }
            Shape::Rect(r) => self.rect(r, shape.visual_bounding_rect()),
            Shape::Text(t) => self.text(t),
            Shape::Mesh(mesh) => self.mesh(mesh),
            Shape::QuadraticBezier(q) => {
                let [a, b, c] = q.points;
                let d = format!(
                    "M{} {} Q{} {} {} {}{}",
                    num(a.x),
                    num(a.y),
                    num(b.x),
                    num(b.y),
                    num(c.x),
                    num(c.y),
                    if q.closed { " Z" } else { "" }
                );
                let color = path_color(&q.stroke.color, &q.points);
                self.curve(
                    &d,
                    q.closed,
                    q.fill,
                    Stroke::new(q.stroke.width, color),
                    shape,
                );
            }
            Shape::CubicBezier(c) => {
                let [a, b, p, q] = c.points;
                let d = format!(
                    "M{} {} C{} {} {} {} {} {}{}",
                    num(a.x),
                    num(a.y),
                    num(b.x),
                    num(b.y),
                    num(p.x),
                    num(p.y),
                    num(q.x),
                    num(q.y),
                    if c.closed { " Z" } else { "" }
                );
                let color = path_color(&c.stroke.color, &c.points);
                self.curve(
                    &d,
                    c.closed,
                    c.fill,
                    Stroke::new(c.stroke.width, color),
                    shape,
                );
            }
            Shape::Band(_) => {
                // Bands are only used by plots, never on the canvas; their
                // tessellation is the faithful form.
                let mut mesh = epaint::Mesh::default();
                let mut tessellator = epaint::Tessellator::new(
                    1.0,
                    epaint::TessellationOptions::default(),
                    [1, 1],
                    Vec::new(),
                );
                tessellator.tessellate_shape(shape.clone(), &mut mesh);
                self.mesh(&mesh);
            }
        }
    }

    fn curve(&mut self, d: &str, closed: bool, fill_color: Color32, s: Stroke, shape: &Shape) {
        let fill_attr = if closed {
            fill(fill_color)
        } else {
            r#" fill="none""#.to_owned()
        };
        let text = format!(r#"<path d="{d}"{fill_attr}{}/>"#, stroke(s));
        self.element(shape.visual_bounding_rect(), &text);
    }

    fn rect(&mut self, r: &epaint::RectShape, bounds: Rect) {
        let radius = r.corner_radius;
        let path = |rect: Rect| -> String {
            if radius.nw == radius.ne && radius.nw == radius.sw && radius.nw == radius.se {
                let rx = f32::from(radius.nw)
                    .min(rect.width() / 2.0)
                    .min(rect.height() / 2.0);
                let rounding = if rx > 0.0 {
                    format!(r#" rx="{}""#, num(rx))
                } else {
                    String::new()
                };
                format!(
                    r#"<rect x="{}" y="{}" width="{}" height="{}"{rounding}"#,
                    num(rect.min.x),
                    num(rect.min.y),
                    num(rect.width()),
                    num(rect.height())
                )
            } else {
                format!(r#"<path d="{}""#, rounded_rect_path(rect, radius))
            }
        };
        if r.fill.a() > 0 && r.rect.is_positive() {
            let text = format!("{}{}/>", path(r.rect), fill(r.fill));
            self.element(bounds, &text);
        }
        if r.stroke.width > 0.0 && r.stroke.color.a() > 0 {
            let half = r.stroke.width / 2.0;
            let outline = match r.stroke_kind {
                StrokeKind::Inside => r.rect.shrink(half),
                StrokeKind::Middle => r.rect,
                StrokeKind::Outside => r.rect.expand(half),
            };
            let text = format!(r#"{} fill="none"{}/>"#, path(outline), stroke(r.stroke));
            self.element(bounds, &text);
        }
    }

    fn text(&mut self, t: &epaint::TextShape) {
        let galley = &t.galley;
        let (family, base_size) = galley
            .job
            .sections
            .first()
            .map_or((FontFamily::Proportional, 14.0), |s| {
                (s.format.font_id.family.clone(), s.format.font_id.size)
            });
        let base_height = galley
            .rows
            .iter()
            .flat_map(|r| r.row.glyphs.first())
            .map(|g| g.font_height)
            .next()
            .unwrap_or(base_size);
        let font = match family {
            FontFamily::Monospace => r#"font-family="Hack, monospace""#,
            _ => r#"font-family="Ubuntu, 'Ubuntu Light', sans-serif" font-weight="300""#,
        };
        let rotate = rotation(t.angle.to_degrees(), t.pos);
        for placed in &galley.rows {
            let origin = t.pos + placed.pos.to_vec2();
            let mesh = &placed.row.visuals.mesh;
            // Consecutive glyphs of one colour and size form one element,
            // each glyph at its own x.
            let mut run: Vec<(&epaint::text::Glyph, Color32)> = Vec::new();
            let glyphs = placed.row.glyphs.iter().map(|g| {
                let vertex = mesh.vertices.get(g.first_vertex as usize);
                let color =
                    t.override_text_color
                        .unwrap_or_else(|| match vertex.map(|v| v.color) {
                            Some(c) if c != Color32::PLACEHOLDER => c,
                            _ => t.fallback_color,
                        });
                (g, color.gamma_multiply(t.opacity_factor))
            });
            for (g, color) in glyphs {
                if let Some((last, last_color)) = run.last()
                    && (*last_color != color || last.font_height != g.font_height)
                {
                    self.text_run(&run, origin, base_size, base_height, font, &rotate);
                    run.clear();
                }
                run.push((g, color));
            }
            self.text_run(&run, origin, base_size, base_height, font, &rotate);
        }
    }

    fn text_run(
        &mut self,
        run: &[(&epaint::text::Glyph, Color32)],
        origin: Pos2,
        base_size: f32,
        base_height: f32,
        font: &str,
        rotate: &str,
    ) {
        let Some(&(first, color)) = run.first() else {
            return;
        };
        if run.iter().all(|(g, _)| g.chr.is_whitespace()) || color.a() == 0 {
            return;
        }
        // The run starts where egui put its first glyph; the font lays out
        // the rest, with the ligatures and kerning egui's shaping used too
        // (a ligature's second character has no position of its own).
        let content: String = run.iter().map(|(g, _)| g.chr).collect();
        let x = num(origin.x + first.pos.x);
        let size = if base_height > 0.0 {
            base_size * first.font_height / base_height
        } else {
            base_size
        };
        let y = origin.y + first.pos.y;
        let last = run[run.len() - 1].0;
        let bounds = Rect::from_min_max(
            pos2(origin.x + first.pos.x, y - first.font_ascent),
            pos2(
                origin.x + last.pos.x + last.advance_width,
                y + first.font_height - first.font_ascent,
            ),
        );
        let text = format!(
            r#"<text x="{}" y="{}" font-size="{}" {font}{}{rotate} xml:space="preserve">{}</text>"#,
            x,
            num(y),
            num(size),
            fill(color),
            escape(&content)
        );
        self.element(bounds, &text);
    }

    fn mesh(&mut self, mesh: &epaint::Mesh) {
        for tri in mesh.indices.chunks_exact(3) {
            let v: Vec<_> = tri
                .iter()
                .filter_map(|&i| mesh.vertices.get(i as usize))
                .collect();
            let [a, b, c] = v[..] else { continue };
            let bounds = Rect::from_points(&[a.pos, b.pos, c.pos]);
            let text = format!(
                r#"<polygon points="{},{} {},{} {},{}"{}/>"#,
                num(a.pos.x),
                num(a.pos.y),
                num(b.pos.x),
                num(b.pos.y),
                num(c.pos.x),
                num(c.pos.y),
                fill(a.color)
            );
            self.element(bounds, &text);
        }
    }
}

/// A path for a rectangle with a different radius per corner.
fn rounded_rect_path(r: Rect, radius: epaint::CornerRadius) -> String {
    let limit = (r.width() / 2.0).min(r.height() / 2.0).max(0.0);
    let [nw, ne, sw, se] =
        [radius.nw, radius.ne, radius.sw, radius.se].map(|x| f32::from(x).min(limit));
    let (x0, y0, x1, y1) = (r.min.x, r.min.y, r.max.x, r.max.y);
    format!(
        "M{} {} H{} A{nw2} {nw2} 0 0 1 {} {} V{} A{se2} {se2} 0 0 1 {} {} H{} A{sw2} {sw2} 0 0 1 {} {} V{} A{nwb} {nwb} 0 0 1 {} {} Z",
        num(x0 + nw),
        num(y0),
        num(x1 - ne),
        num(x1),
        num(y0 + ne),
        num(y1 - se),
        num(x1 - se),
        num(y1),
        num(x0 + sw),
        num(x0),
        num(y1 - sw),
        num(y0 + nw),
        num(x0 + nw),
        num(y0),
        nw2 = num(ne),
        se2 = num(se),
        sw2 = num(sw),
        nwb = num(nw),
    )
}

/// The colour of a path's stroke (a gradient is drawn in its middle colour).
fn path_color(mode: &epaint::ColorMode, points: &[Pos2]) -> Color32 {
    match mode {
        epaint::ColorMode::Solid(c) => *c,
        epaint::ColorMode::UV(f) => {
            let bounds = Rect::from_points(points);
            f(bounds, bounds.center())
        }
    }
}

fn rotation(degrees: f32, around: Pos2) -> String {
    if degrees == 0.0 || !degrees.is_finite() {
        String::new()
    } else {
        format!(
            r#" transform="rotate({} {} {})""#,
            num(degrees),
            num(around.x),
            num(around.y)
        )
    }
}

/// ` fill="…"` for a colour (egui colours are premultiplied).
fn fill(color: Color32) -> String {
    if color.a() == 0 {
        return r#" fill="none""#.to_owned();
    }
    let [r, g, b, a] = color.to_srgba_unmultiplied();
    if a == 255 {
        format!(r##" fill="#{r:02x}{g:02x}{b:02x}""##)
    } else {
        format!(
            r##" fill="#{r:02x}{g:02x}{b:02x}" fill-opacity="{}""##,
            num(f32::from(a) / 255.0)
        )
    }
}

/// ` stroke="…" stroke-width="…"`, or nothing for no stroke.
fn stroke(s: Stroke) -> String {
    if s.width <= 0.0 || s.color.a() == 0 {
        return String::new();
    }
    let [r, g, b, a] = s.color.to_srgba_unmultiplied();
    let opacity = if a == 255 {
        String::new()
    } else {
        format!(r#" stroke-opacity="{}""#, num(f32::from(a) / 255.0))
    };
    format!(
        r##" stroke="#{r:02x}{g:02x}{b:02x}"{opacity} stroke-width="{}" stroke-linecap="round""##,
        num(s.width)
    )
}

/// A coordinate with at most two decimals, no trailing zeros.
fn num(x: f32) -> String {
    if !x.is_finite() {
        return "0".to_owned();
    }
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_never_negative_zero() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(1.25), "1.25");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(f32::NAN), "0");
    }

    #[test]
    fn colours_are_unmultiplied() {
        let half = Color32::from_rgba_unmultiplied(255, 0, 0, 128);
        assert_eq!(fill(half), r##" fill="#ff0000" fill-opacity="0.5""##);
        assert_eq!(fill(Color32::TRANSPARENT), r#" fill="none""#);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a<b & \"c\"\u{7}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
