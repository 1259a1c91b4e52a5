//! The inspector's field widgets, shared by the kinds' sections
//! (`gui::kinds`) and the model's and links' own.

use eframe::egui::{self, DragValue, RichText, Shape, Stroke, Ui, pos2, vec2};
use sim_core::dist::Dist;
use sim_core::time::Duration;

/// Where the inspector notes which problems it has written this frame.
fn shown_id() -> egui::Id {
    egui::Id::unique("inspector-problems-shown")
}

/// Forgets the problems written so far: a new frame of the inspector.
pub(super) fn clear_shown(ui: &Ui) {
    ui.data_mut(|d| d.insert_temp(shown_id(), Vec::<String>::new()));
}

/// The problems written under fields since [`clear_shown`].
pub(super) fn shown(ui: &Ui) -> Vec<String> {
    ui.data(|d| d.get_temp::<Vec<String>>(shown_id()))
        .unwrap_or_default()
}

/// Notes `problem` as written; false if it already was this frame.
fn note_shown(ui: &Ui, problem: &str) -> bool {
    ui.data_mut(|d| {
        let shown = d.get_temp_mut_or_default::<Vec<String>>(shown_id());
        if shown.iter().any(|p| p == problem) {
            false
        } else {
            shown.push(problem.to_owned());
            true
        }
    })
}

/// A problem's sentence in the error colour, small, as under a field.
fn problem_label(ui: &mut Ui, problem: &str) -> egui::Response {
    ui.label(
        RichText::new(problem)
            .color(ui.visuals().error_fg_color)
            .small(),
    )
}

/// Problems with one field, under it: in a grid, called at the start of
/// the row after the field's, a row each. A problem already written under
/// another field this frame is not repeated: each is explained once,
/// nearest the field it is about.
pub fn field_problems_ui(ui: &mut Ui, problems: &[String]) {
    let mut first = true;
    for p in problems {
        if !note_shown(ui, p) {
            continue;
        }
        if !first {
            ui.end_row();
        }
        first = false;
        ui.label("");
        problem_label(ui, p);
    }
}

/// Problems outside a grid, one line each, not repeating any already
/// written this frame.
pub fn problems_ui(ui: &mut Ui, problems: &[String]) {
    for p in problems {
        if note_shown(ui, p) {
            problem_label(ui, p);
        }
    }
}

/// A rate per second. A typed value stays as typed, even one the model
/// refuses (a negative rate): the section explains it under the field and
/// the model does not run until it is fixed. Dragging stops at zero.
pub fn rate_row_ui(ui: &mut Ui, label: &str, rate: &mut f64) {
    let label = ui.label(label);
    let speed = (rate.abs() * 0.01).max(0.01);
    let was = *rate;
    let response = ui
        .add(
            DragValue::new(rate)
                .speed(speed)
                .max_decimals(3)
                .suffix(" /s"),
        )
        .labelled_by(label.id);
    if response.dragged() && *rate < 0.0 {
        *rate = was.max(0.0);
    }
    ui.end_row();
}

pub fn duration_row_ui(ui: &mut Ui, label: &str, d: &mut Duration) {
    let label = ui.label(label);
    duration_ui(ui, d).labelled_by(label.id);
    ui.end_row();
}

/// A row for a duration that may be left out: a checkbox (labelled by the
/// row), then the duration — `default` when first switched on — or `none`
/// when off.
pub fn optional_duration_row_ui(
    ui: &mut Ui,
    label: &str,
    d: &mut Option<Duration>,
    default: Duration,
    none: &str,
    hover: &str,
) {
    let label = ui.label(label);
    ui.horizontal(|ui| {
        let mut on = d.is_some();
        ui.checkbox(&mut on, "")
            .labelled_by(label.id)
            .on_hover_text(hover);
        if on {
            let mut value = d.unwrap_or(default);
            duration_ui(ui, &mut value).labelled_by(label.id);
            *d = Some(value);
        } else {
            *d = None;
            ui.label(RichText::new(none).weak());
        }
    });
    ui.end_row();
}

/// What a duration field says about text it cannot read.
fn unreadable_duration(text: &str) -> String {
    format!(
        "“{}” is not a duration: write a number and a unit (ns, us, ms, s, m, h), e.g. 250ms or 1m30s",
        text.trim()
    )
}

/// A duration as a drag value that reads and writes text with units
/// (`"250ms"`, `"1m30s"`). Text that is not a duration stays as typed,
/// with why under it, and the duration keeps its value until the text
/// reads as one.
pub fn duration_ui(ui: &mut Ui, d: &mut Duration) -> egui::Response {
    let id = ui.next_auto_id().with("unreadable-duration");
    if let Some(mut text) = ui.data(|m| m.get_temp::<String>(id)) {
        let response = ui.add(
            egui::TextEdit::singleline(&mut text)
                .desired_width(80.0)
                .text_color(ui.visuals().error_fg_color),
        );
        match text.trim().parse::<Duration>() {
            Ok(parsed) if response.lost_focus() => {
                *d = parsed;
                ui.data_mut(|m| m.remove::<String>(id));
            }
            Ok(_) => {
                ui.data_mut(|m| m.insert_temp(id, text));
            }
            Err(_) => {
                problem_label(ui, &unreadable_duration(&text));
                ui.data_mut(|m| m.insert_temp(id, text));
            }
        }
        return response;
    }
    let mut secs = d.as_secs_f64();
    let speed = (secs * 0.01).max(1e-4);
    let unreadable = std::cell::RefCell::new(None);
    let response = ui
        .add(
            DragValue::new(&mut secs)
                .range(0.0..=1e9)
                .speed(speed)
                .custom_formatter(|v, _| Duration::from_secs_f64(v).to_string())
                .custom_parser(|text| {
                    let parsed = text.trim().parse::<Duration>().ok();
                    *unreadable.borrow_mut() = parsed.is_none().then(|| text.to_owned());
                    parsed.map(Duration::as_secs_f64)
                }),
        )
        .on_hover_text("Drag, or type a value with a unit: ns, us, ms, s, m, h");
    // NOTE: the drag value forgets text it cannot read when it loses the
    // keyboard; keeping it shows the user what they typed and why it is
    // not taken.
    if let Some(text) = unreadable.into_inner()
        && response.lost_focus()
        && !text.trim().is_empty()
    {
        ui.data_mut(|m| m.insert_temp(id, text));
    }
    if response.changed() {
        let new = Duration::from_secs_f64(secs);
        // NOTE: keep the exact value unless the user really moved it, so a
        // round trip through f64 never changes a duration by itself.
        if (new.as_secs_f64() - d.as_secs_f64()).abs() > 0.0 {
            *d = new;
        }
    }
    response
}

/// An optional count: a checkbox for "bounded", then the value.
pub fn optional_count_ui(ui: &mut Ui, value: &mut Option<u64>, none: &str, default: u64) {
    ui.horizontal(|ui| {
        let mut on = value.is_some();
        if ui.checkbox(&mut on, "").changed() {
            *value = on.then_some(value.unwrap_or(default));
        }
        match value {
            // NOTE: a typed 0 stays, explained by the section; dragging
            // stops at 1.
            Some(v) => {
                let response = ui.add(DragValue::new(v).speed(1.0));
                if response.dragged() && *v == 0 {
                    *v = 1;
                }
            }
            None => {
                ui.label(RichText::new(none).weak());
            }
        }
    });
}

/// An optional rate per second: a checkbox, then the rate (from
/// `default` when switched on) or `none` when off.
pub fn optional_rate_ui(
    ui: &mut Ui,
    value: &mut Option<f64>,
    default: f64,
    suffix: &str,
    none: &str,
) {
    let mut limited = value.is_some();
    ui.horizontal(|ui| {
        ui.checkbox(&mut limited, "");
        if limited {
            let mut rate = value.unwrap_or(default);
            ui.add(
                DragValue::new(&mut rate)
                    .range(0.001..=f64::MAX)
                    .speed(1.0)
                    .suffix(suffix),
            );
            *value = Some(rate);
        } else {
            *value = None;
            ui.label(RichText::new(none).weak());
        }
    });
}

/// A drop-down of named values; returns the drop-down's response (to be
/// labelled by its row).
pub fn enum_ui<T: PartialEq + Copy>(
    ui: &mut Ui,
    id: &str,
    value: &mut T,
    options: &[(T, &str)],
) -> egui::Response {
    let current = options
        .iter()
        .find(|(v, _)| v == value)
        .map_or("", |(_, name)| *name);
    egui::ComboBox::from_id_salt(id)
        .selected_text(current)
        .show_ui(ui, |ui| {
            for (v, name) in options {
                ui.selectable_value(value, *v, *name);
            }
        })
        .response
}

/// A list of names as comma-separated text. The text being typed is kept
/// while the field has focus, so a trailing comma survives.
pub fn names_ui(ui: &mut Ui, salt: &str, names: &mut Vec<String>) -> egui::Response {
    let id = ui.make_persistent_id(("names", salt));
    let mut text = ui
        .data(|d| d.get_temp::<String>(id))
        .unwrap_or_else(|| names.join(", "));
    let response = ui.add(egui::TextEdit::singleline(&mut text).hint_text("none"));
    if response.changed() {
        *names = text
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect();
    }
    if response.has_focus() {
        ui.data_mut(|d| d.insert_temp(id, text));
    } else {
        ui.data_mut(|d| d.remove::<String>(id));
    }
    response
}

pub fn dist_row_ui(ui: &mut Ui, label: &str, id: &str, d: &mut Dist) {
    ui.label(label);
    ui.vertical(|ui| dist_ui(ui, id, d));
    ui.end_row();
}

/// A row for a distribution that may be left out: a checkbox (`none`
/// names the state without one), then the distribution, `default` when it
/// is first switched on.
pub fn optional_dist_row_ui(
    ui: &mut Ui,
    label: &str,
    id: &str,
    none: &str,
    d: &mut Option<Dist>,
    default: &Dist,
) {
    let label = ui.label(label);
    ui.vertical(|ui| {
        let mut on = d.is_some();
        ui.horizontal(|ui| {
            ui.checkbox(&mut on, "").labelled_by(label.id);
            if !on {
                ui.label(RichText::new(none).weak());
            }
        });
        match (on, d.as_mut()) {
            (true, Some(dist)) => dist_ui(ui, id, dist),
            (true, None) => *d = Some(default.clone()),
            (false, _) => *d = None,
        }
    });
    ui.end_row();
}

/// A distribution: its family, its parameters, and a sketch of its density.
fn dist_ui(ui: &mut Ui, id: &str, d: &mut Dist) {
    let names = [
        "constant",
        "exponential",
        "uniform",
        "log-normal",
        "Erlang",
        "gamma",
        "empirical",
    ];
    let current = match d {
        Dist::Constant(_) => 0,
        Dist::Exponential { .. } => 1,
        Dist::Uniform { .. } => 2,
        Dist::LogNormal { .. } => 3,
        Dist::Erlang { .. } => 4,
        Dist::Gamma { .. } => 5,
        Dist::Empirical { .. } => 6,
    };
    let mut chosen = current;
    egui::ComboBox::from_id_salt(id)
        .selected_text(names[current])
        .show_ui(ui, |ui| {
            for (i, name) in names.iter().enumerate() {
                ui.selectable_value(&mut chosen, i, *name);
            }
        });
    if chosen != current {
        let mean = d.mean();
        *d = match chosen {
            0 => Dist::Constant(mean),
            1 => Dist::Exponential { mean },
            2 => Dist::Uniform {
                min: Duration(mean.0 / 2),
                max: Duration(mean.0 / 2 * 3),
            },
            3 => Dist::LogNormal { mean, cv: 1.0 },
            4 => Dist::Erlang { k: 3, mean },
            5 => Dist::Gamma { mean, cv: 1.0 },
            // A uniform law with the same mean, until measurements (`weir
            // calibrate`) or the file give the quantiles.
            _ => Dist::Empirical {
                quantiles: vec![Duration::ZERO, Duration(mean.0.saturating_mul(2))],
            },
        };
    }
    ui.horizontal(|ui| match d {
        Dist::Constant(v) => {
            duration_ui(ui, v);
        }
        Dist::Exponential { mean } => {
            ui.label("mean");
            duration_ui(ui, mean);
        }
        Dist::Uniform { min, max } => {
            ui.label("from");
            duration_ui(ui, min);
            ui.label("to");
            duration_ui(ui, max);
        }
        Dist::LogNormal { mean, cv } => {
            ui.label("mean");
            duration_ui(ui, mean);
            ui.label("cv");
            ui.add(DragValue::new(cv).range(0.0..=20.0).speed(0.01));
        }
        Dist::Erlang { k, mean } => {
            ui.label("k");
            ui.add(DragValue::new(k).range(1..=100).speed(0.1));
            ui.label("mean");
            duration_ui(ui, mean);
        }
        Dist::Gamma { mean, cv } => {
            ui.label("mean");
            duration_ui(ui, mean);
            ui.label("cv");
            ui.add(DragValue::new(cv).range(0.01..=20.0).speed(0.01));
        }
        Dist::Empirical { quantiles } => {
            // NOTE: the quantiles come from measurements (`weir
            // calibrate`) or the file; they are shown, not edited here.
            let (first, last) = (
                quantiles.first().copied().unwrap_or_default(),
                quantiles.last().copied().unwrap_or_default(),
            );
            ui.label(format!("{} quantiles, {first} to {last}", quantiles.len()));
        }
    });
    problems_ui(ui, &d.problems());
    density_ui(ui, d);
}

/// A small plot of the distribution's density from zero to about three
/// means.
fn density_ui(ui: &mut Ui, d: &Dist) {
    let (rect, _) = ui.allocate_exact_size(vec2(220.0, 48.0), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let visuals = ui.visuals();
    painter.rect_filled(rect, 4.0, visuals.extreme_bg_color);
    let mean = d.mean().as_secs_f64();
    let span = match d {
        Dist::Uniform { max, .. } => max.as_secs_f64() * 1.25,
        Dist::Empirical { quantiles } => {
            quantiles.last().copied().unwrap_or_default().as_secs_f64() * 1.1
        }
        _ => mean * 3.0,
    };
    let color = visuals.selection.stroke.color;
    let axis = rect.shrink2(vec2(6.0, 5.0));
    if span <= 0.0 || !d.problems().is_empty() {
        return;
    }
    let xs: Vec<f64> = (0..=96).map(|i| span * f64::from(i) / 96.0).collect();
    let ys: Vec<f64> = xs.iter().map(|&x| density(d, x)).collect();
    let top = ys.iter().copied().fold(0.0f64, f64::max);
    #[expect(clippy::cast_possible_truncation, reason = "screen coordinates")]
    let to_screen = |x: f64, y: f64| {
        pos2(
            axis.left() + (x / span) as f32 * axis.width(),
            axis.bottom() - (y / top) as f32 * axis.height(),
        )
    };
    if let Dist::Constant(_) = d {
        let x = to_screen(mean, 0.0).x;
        painter.line_segment(
            [pos2(x, axis.bottom()), pos2(x, axis.top())],
            Stroke::new(2.0, color),
        );
    } else if top > 0.0 && top.is_finite() {
        let points: Vec<_> = xs
            .iter()
            .zip(&ys)
            .map(|(&x, &y)| to_screen(x, y.min(top)))
            .collect();
        let mut area = points.clone();
        area.push(pos2(axis.right(), axis.bottom()));
        area.push(pos2(axis.left(), axis.bottom()));
        for w in points.windows(2) {
            painter.add(Shape::convex_polygon(
                vec![
                    w[0],
                    w[1],
                    pos2(w[1].x, axis.bottom()),
                    pos2(w[0].x, axis.bottom()),
                ],
                color.gamma_multiply(0.18),
                Stroke::NONE,
            ));
        }
        painter.add(Shape::line(points, Stroke::new(1.5, color)));
    }
    // The mean, dashed.
    let x = to_screen(mean, 0.0).x;
    painter.add(Shape::dashed_line(
        &[pos2(x, axis.top()), pos2(x, axis.bottom())],
        Stroke::new(1.0, visuals.weak_text_color()),
        3.0,
        3.0,
    ));
    painter.text(
        pos2(axis.right(), axis.top()),
        egui::Align2::RIGHT_TOP,
        format!("mean {}", d.mean()),
        egui::FontId::proportional(10.0),
        visuals.weak_text_color(),
    );
}

/// The density of `d` at `x` seconds.
fn density(d: &Dist, x: f64) -> f64 {
    match *d {
        Dist::Constant(_) => 0.0,
        Dist::Exponential { mean } => {
            let m = mean.as_secs_f64();
            (-x / m).exp() / m
        }
        Dist::Uniform { min, max } => {
            let (a, b) = (min.as_secs_f64(), max.as_secs_f64());
            if x >= a && x <= b && b > a {
                1.0 / (b - a)
            } else {
                0.0
            }
        }
        Dist::LogNormal { mean, cv } => {
            if x <= 0.0 || cv <= 0.0 {
                return 0.0;
            }
            let s2 = (1.0 + cv * cv).ln();
            let mu = mean.as_secs_f64().ln() - s2 / 2.0;
            let z = x.ln() - mu;
            (-z * z / (2.0 * s2)).exp() / (x * (2.0 * std::f64::consts::PI * s2).sqrt())
        }
        Dist::Erlang { k, mean } => {
            if x <= 0.0 && k > 1 {
                return 0.0;
            }
            let rate = f64::from(k) / mean.as_secs_f64();
            let kf = f64::from(k);
            // λ^k x^(k−1) e^(−λx) / (k−1)!, in logs to stay finite.
            let log_fact: f64 = (1..k).map(|i| f64::from(i).ln()).sum();
            (kf * rate.ln() + (kf - 1.0) * x.max(f64::MIN_POSITIVE).ln() - rate * x - log_fact)
                .exp()
        }
        Dist::Gamma { mean, cv } => {
            if x <= 0.0 || cv <= 0.0 {
                return 0.0;
            }
            let shape = 1.0 / (cv * cv);
            let scale = mean.as_secs_f64() * cv * cv;
            ((shape - 1.0) * x.ln()
                - x / scale
                - sim_core::dist::ln_gamma(shape)
                - shape * scale.ln())
            .exp()
        }
        Dist::Empirical { ref quantiles } => {
            // Each segment between neighbouring quantiles holds an equal
            // share, spread evenly over it (a zero-length one is an atom,
            // drawn by the mean's mark only).
            let segments = quantiles.len().saturating_sub(1).max(1) as f64;
            quantiles
                .windows(2)
                .map(|w| (w[0].as_secs_f64(), w[1].as_secs_f64()))
                .find(|&(a, b)| x >= a && x < b)
                .map_or(0.0, |(a, b)| 1.0 / (segments * (b - a)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn densities_integrate_to_about_one() {
        let ms = Duration::from_millis;
        for d in [
            Dist::Exponential { mean: ms(10) },
            Dist::Uniform {
                min: ms(5),
                max: ms(15),
            },
            Dist::LogNormal {
                mean: ms(10),
                cv: 0.5,
            },
            Dist::Erlang { k: 4, mean: ms(10) },
            Dist::Gamma {
                mean: ms(10),
                cv: 0.7,
            },
            Dist::Empirical {
                quantiles: vec![ms(2), ms(5), ms(9), ms(30)],
            },
        ] {
            let step = 1e-5;
            let total: f64 = (0..20_000)
                .map(|i| density(&d, f64::from(i) * step) * step)
                .sum();
            assert!((total - 1.0).abs() < 0.02, "{d:?} integrates to {total}");
        }
    }
}
