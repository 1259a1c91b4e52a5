//! Logs: Kafka-style partitions and retention; each consumer reading one
//! is a consumer group.

use eframe::egui::{self, Color32, DragValue, Painter, Pos2, Rect, Ui, vec2};
use sim_core::nodes::event_hubs::{self, EventHubs, OnThrottle};
use sim_core::nodes::{LogParams, NodeKind, Partitioner};
use sim_core::snapshot::{NodeSnapshot, PartitionSnapshot};
use sim_core::time::Duration;

use super::{Icon, KindUi, LiveNumber, ParamsUi, card_line, edited};
use crate::gui::charts::seconds;
use crate::gui::colors;
use crate::gui::inspector::fields::{
    duration_row_ui, enum_ui, field_problems_ui, optional_duration_row_ui,
};
use crate::gui::session::marks::{CardMarks, ratio, short};

#[derive(Debug)]
pub struct Log;

impl KindUi for Log {
    fn accent(&self) -> Color32 {
        Color32::from_rgb(0x2a, 0x8c, 0x7e)
    }

    fn blurb(&self) -> &'static str {
        "A Kafka-style log: partitions, retention; each consumer is a group that reads everything"
    }

    fn paint_icon(&self, icon: &Icon<'_>) {
        let Icon {
            painter,
            size: s,
            stroke,
            color,
            ..
        } = *icon;
        let p = |x: f32, y: f32| icon.at(x, y);
        // Three partitions: rows of appended records, filled to
        // different ends, with a read position on each.
        for (row, filled) in [(-0.55f32, 4), (0.0, 3), (0.55, 2)] {
            for i in 0..4 {
                #[expect(clippy::cast_precision_loss, reason = "a small loop counter")]
                let x = -0.75 + i as f32 * 0.42;
                let r = Rect::from_center_size(p(x, row), vec2(s * 0.34, s * 0.36));
                if i < filled {
                    painter.rect_filled(r, s * 0.05, color);
                } else {
                    painter.rect_stroke(r, s * 0.05, stroke, egui::StrokeKind::Middle);
                }
            }
        }
    }

    fn live_numbers(&self, n: &NodeSnapshot) -> Vec<LiveNumber> {
        vec![
            LiveNumber::now(
                "records",
                n.held,
                "Records it retains, read or not, until the retention removes them",
            ),
            LiveNumber::now(
                "lag",
                n.lag,
                "Records the slowest consumer group has not committed yet",
            ),
            LiveNumber::count("appended", n.arrived, "arrived", "Records written to it")
                .panel_only(),
            LiveNumber::count(
                "read",
                n.departed,
                "departed",
                "Copies its consumer groups read: one per group for each record",
            )
            .panel_only(),
            LiveNumber::count(
                "throttled",
                n.throttled,
                "throttled",
                "Sends Event Hubs turned away beyond the throughput units: dropped, or made to \
                 wait (each refused try of a waiting sender counts)",
            )
            .card_if_any(),
            LiveNumber::count(
                "read again",
                n.redelivered,
                "redelivered",
                "Records a consumer group read a second time after a crash: it had processed \
                 them but not checkpointed past them (duplicates)",
            )
            .card_if_any(),
            super::durability::lost_number(n),
        ]
    }

    fn card_marks(&self, n: &NodeSnapshot, marks: &mut CardMarks<'_>) {
        marks.set_line(|| card_line(&self.live_numbers(n)));
        if n.partitions.is_empty() {
            // The lag bar: the slowest group's unread share of the records.
            marks.bar = Some(ratio(n.lag, n.held.max(1)));
        } else {
            let zoom = marks.zoom;
            let strip = Rect::from_min_size(
                marks.bar_rect.min,
                vec2(marks.bar_rect.width(), (11.0 * zoom).max(5.0)),
            );
            partition_strip(marks.painter, strip, &n.partitions, marks.dark);
            marks.text_at = strip.left_bottom() + vec2(0.0, 2.0 * zoom);
            // The partition furthest behind, when one is.
            let worst = n
                .partitions
                .iter()
                .enumerate()
                .max_by_key(|(_, p)| p.oldest_unread)
                .filter(|(_, p)| p.oldest_unread >= BEHIND);
            if let Some((p, part)) = worst {
                marks.line.push_str(&format!(
                    " · p{p} {} behind",
                    seconds(part.oldest_unread.as_secs_f64())
                ));
                if part.oldest_unread >= STUCK {
                    marks.line_color = colors::WARN;
                }
            }
        }
        if n.lag > 0 && n.lag * 2 > n.held {
            marks.line_color = colors::WARN;
        }
    }

    fn hover_text(
        &self,
        node: &NodeSnapshot,
        _waiting_on: &dyn Fn() -> Option<String>,
    ) -> Option<String> {
        (!node.partitions.is_empty()).then(|| partitions_text(&node.partitions))
    }
}

impl ParamsUi for LogParams {
    fn summary(&self) -> String {
        let parts = format!(
            "{} part{}{}",
            self.partitions,
            if self.partitions == 1 { "" } else { "s" },
            match self.partitioner {
                Partitioner::KeyHash => "",
                Partitioner::RoundRobin => " rr",
            },
        );
        // An Event Hubs hub names its service and units in place of the
        // retention (the inspector has it), to keep the card narrow.
        let text = match self.event_hubs {
            Some(h) => format!("Event Hubs {} TU · {parts}", h.throughput_units),
            None => format!("{parts} · {}", self.retention),
        };
        super::durability::with_mark(text, self.durability.as_ref())
    }

    fn inspector_ui(&self, ui: &mut Ui) -> Option<NodeKind> {
        edited(ui, self, NodeKind::Log, section_ui)
    }
}

/// The checkpoint interval the Event Hubs preset starts from: the
/// processor client's samples checkpoint every few seconds to a minute.
const PRESET_CHECKPOINT: Duration = Duration::from_secs(10);

fn section_ui(ui: &mut Ui, l: &mut LogParams) {
    service_ui(ui, l);
    let label = ui.label("Partitions");
    let most = if l.event_hubs.is_some() {
        event_hubs::MAX_PARTITIONS
    } else {
        sim_core::nodes::log::MAX_PARTITIONS
    };
    ui.add(DragValue::new(&mut l.partitions).range(1..=most).speed(0.1))
        .labelled_by(label.id);
    ui.end_row();
    ui.label("Partitioner");
    enum_ui(
        ui,
        "partitioner",
        &mut l.partitioner,
        &[
            (Partitioner::KeyHash, "by key hash"),
            (Partitioner::RoundRobin, "round-robin"),
        ],
    );
    ui.end_row();
    duration_row_ui(ui, "Retention", &mut l.retention);
    // NOTE: the kind's blurb above the grid says that each consumer reading
    // the log is a consumer group; a long note in the grid would widen its
    // label column and push the values out of view.
    duration_row_ui(ui, "Rebalance pause", &mut l.rebalance_pause);
    optional_duration_row_ui(
        ui,
        "Checkpoint",
        &mut l.checkpoint,
        PRESET_CHECKPOINT,
        "after every record",
        "How often each consumer group saves its offsets (Kafka's auto-commit interval, an \
         Event Hubs checkpoint). A group whose consumer crashes reads again everything it \
         processed since, counted as duplicates.",
    );
    super::durability::durability_ui(ui, &mut l.durability);
    let problems = l.problems();
    if !problems.is_empty() {
        field_problems_ui(ui, &problems);
        ui.end_row();
    }
}

/// The service the log stands for (a Kafka topic, or an Azure Event
/// Hubs hub with its throughput units), and the preset's own fields.
fn service_ui(ui: &mut Ui, l: &mut LogParams) {
    let label = ui.label("Service");
    let mut hubs = l.event_hubs.is_some();
    enum_ui(
        ui,
        "log service",
        &mut hubs,
        &[(false, "Kafka topic"), (true, "Azure Event Hubs")],
    )
    .labelled_by(label.id)
    .on_hover_text(
        "Event Hubs limits ingress by throughput units (each 1,000 events/s or 1 MB/s) and \
         holds its standard tier's limits: 32 partitions, 7 days of retention, 20 consumer \
         groups. Choosing it fills those in, with a checkpoint every 10 s.",
    );
    ui.end_row();
    if hubs != l.event_hubs.is_some() {
        if hubs {
            l.event_hubs = Some(EventHubs::default());
            l.partitions = l.partitions.min(event_hubs::MAX_PARTITIONS);
            l.retention = l.retention.min(event_hubs::MAX_RETENTION);
            l.checkpoint = l.checkpoint.or(Some(PRESET_CHECKPOINT));
        } else {
            l.event_hubs = None;
        }
    }
    let Some(h) = l.event_hubs.as_mut() else {
        return;
    };
    let label = ui.label("Throughput units");
    ui.add(
        DragValue::new(&mut h.throughput_units)
            .range(1..=event_hubs::MAX_THROUGHPUT_UNITS)
            .speed(0.05),
    )
    .labelled_by(label.id)
    .on_hover_text(format!(
        "Each unit lets in 1,000 events/s or 1 MB/s, whichever runs out first: {:.0} events/s \
         in all at this event size",
        h.events_per_s()
    ));
    ui.end_row();
    let label = ui.label("Event size");
    ui.add(
        DragValue::new(&mut h.event_bytes)
            .range(1..=event_hubs::MAX_EVENT_BYTES)
            .speed(10.0)
            .suffix(" bytes"),
    )
    .labelled_by(label.id)
    .on_hover_text("The mean size of an event: large events use up a unit's 1 MB/s first");
    ui.end_row();
    let label = ui.label("When throttled");
    enum_ui(
        ui,
        "on throttle",
        &mut h.on_throttle,
        &[
            (OnThrottle::Wait, "senders wait (backpressure)"),
            (OnThrottle::Error, "the send fails (dropped)"),
        ],
    )
    .labelled_by(label.id);
    ui.end_row();
}

/// Columns a log card's partition strip draws at most; with more
/// partitions, neighbours share a column.
pub const MAX_PARTITION_COLUMNS: usize = 32;
/// A column's bar is full at the largest lag among the log's partitions,
/// but never below this many records: a few records of lag are a partition
/// flowing, not a hot one.
const LAG_FULL_AT_LEAST: u64 = 20;
/// A partition whose oldest unread record is older than this is behind…
const BEHIND: Duration = Duration::from_secs(1);
/// …and older than this, stuck (a poison message at its head, a group
/// that stopped).
const STUCK: Duration = Duration::from_secs(5);

/// How far behind a partition is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Behind {
    Flowing,
    Behind,
    Stuck,
}

/// One column of a log card's partition strip: one partition, or
/// neighbours sharing a column (their slowest numbers, their records
/// summed).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PartitionColumn {
    /// The partitions it stands for, `first..=last`.
    pub first: usize,
    pub last: usize,
    pub records: u64,
    /// The largest lag among them.
    pub lag: u64,
    /// The oldest unread record among them.
    pub oldest_unread: Duration,
    /// The bar's height, 0 to 1: the lag against the log's largest.
    pub fill: f32,
}

impl PartitionColumn {
    pub fn behind(&self) -> Behind {
        if self.oldest_unread >= STUCK {
            Behind::Stuck
        } else if self.oldest_unread >= BEHIND {
            Behind::Behind
        } else {
            Behind::Flowing
        }
    }

    /// "p3" or "p0–3".
    pub fn name(&self) -> String {
        if self.first == self.last {
            format!("p{}", self.first)
        } else {
            format!("p{}–{}", self.first, self.last)
        }
    }
}

/// A log's partitions as at most `max_columns` columns (at least one),
/// neighbours grouped evenly when there are more partitions than that.
pub fn partition_columns(parts: &[PartitionSnapshot], max_columns: usize) -> Vec<PartitionColumn> {
    let per_column = parts.len().div_ceil(max_columns.max(1)).max(1);
    let mut columns: Vec<PartitionColumn> = parts
        .chunks(per_column)
        .enumerate()
        .map(|(k, chunk)| PartitionColumn {
            first: k * per_column,
            last: k * per_column + chunk.len() - 1,
            records: chunk.iter().map(|p| p.records).sum(),
            lag: chunk.iter().map(|p| p.lag).max().unwrap_or(0),
            oldest_unread: chunk
                .iter()
                .map(|p| p.oldest_unread)
                .max()
                .unwrap_or_default(),
            fill: 0.0,
        })
        .collect();
    let full_at = columns
        .iter()
        .map(|c| c.lag)
        .max()
        .unwrap_or(0)
        .max(LAG_FULL_AT_LEAST);
    for c in &mut columns {
        c.fill = ratio(c.lag, full_at);
    }
    columns
}

/// A log's partitions in words, for the card's tooltip.
pub fn partitions_text(parts: &[PartitionSnapshot]) -> String {
    use std::fmt::Write as _;
    let columns = partition_columns(parts, MAX_PARTITION_COLUMNS);
    let mut out = format!(
        "{} partition{}; the consumer group furthest behind in each:",
        parts.len(),
        if parts.len() == 1 { "" } else { "s" }
    );
    if columns.len() < parts.len() {
        let _ = write!(
            out,
            "\n(each bar stands for {} neighbouring partitions and shows the slowest)",
            parts.len().div_ceil(columns.len())
        );
    }
    for c in &columns {
        let behind = if c.oldest_unread.is_zero() {
            "caught up".to_owned()
        } else {
            format!("{} behind", seconds(c.oldest_unread.as_secs_f64()))
        };
        let _ = write!(
            out,
            "\n{}: {} records · lag {} · {behind}",
            c.name(),
            short(c.records),
            short(c.lag)
        );
    }
    out
}

/// One thin bar per partition (or group of neighbours), filled from the
/// bottom by its lag and coloured by how long its oldest unread record
/// has waited.
fn partition_strip(painter: &Painter, rect: Rect, parts: &[PartitionSnapshot], dark: bool) {
    let gap = if rect.width() / parts.len().max(1) as f32 >= 6.0 {
        2.0
    } else {
        1.0
    };
    // At least 2 points of bar per column.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a small positive count"
    )]
    let fit = (rect.width() / (2.0 + gap)).floor().max(1.0) as usize;
    let columns = partition_columns(parts, MAX_PARTITION_COLUMNS.min(fit));
    let n = columns.len() as f32;
    let width = (rect.width() - gap * (n - 1.0)) / n;
    let bg = if dark {
        Color32::from_gray(60)
    } else {
        Color32::from_gray(222)
    };
    for (k, c) in columns.iter().enumerate() {
        let left = rect.left() + k as f32 * (width + gap);
        let cell = Rect::from_min_size(Pos2::new(left, rect.top()), vec2(width, rect.height()));
        painter.rect_filled(cell, 1.0, bg);
        if c.lag == 0 {
            continue;
        }
        // Any lag at all shows as a sliver.
        let height = (rect.height() * c.fill).max(1.5);
        let filled = Rect::from_min_max(Pos2::new(cell.left(), cell.bottom() - height), cell.max);
        let color = match c.behind() {
            Behind::Flowing => colors::flow(dark),
            Behind::Behind => colors::FILL_HIGH,
            Behind::Stuck => colors::WARN,
        };
        painter.rect_filled(filled, 1.0, color);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(records: u64, lag: u64, unread_ms: u64) -> PartitionSnapshot {
        PartitionSnapshot {
            records,
            lag,
            oldest_unread: Duration::from_millis(unread_ms),
        }
    }

    #[test]
    fn a_poisoned_partition_fills_its_bar_and_reads_stuck() {
        let parts = [
            part(1000, 2, 40),
            part(1000, 300, 12_000),
            part(1000, 0, 0),
            part(1000, 5, 1_500),
        ];
        let columns = partition_columns(&parts, MAX_PARTITION_COLUMNS);
        assert_eq!(columns.len(), 4, "one column a partition");
        assert_eq!(columns[1].fill, 1.0, "the hottest partition is full");
        assert!(
            columns[0].fill < 0.01 && columns[2].fill == 0.0,
            "{columns:?}"
        );
        let behind: Vec<Behind> = columns.iter().map(PartitionColumn::behind).collect();
        assert_eq!(
            behind,
            [
                Behind::Flowing,
                Behind::Stuck,
                Behind::Flowing,
                Behind::Behind
            ]
        );
        let text = partitions_text(&parts);
        assert!(
            text.contains("p1: 1000 records · lag 300 · 12.0 s behind"),
            "{text}"
        );
        assert!(
            text.contains("p2: 1000 records · lag 0 · caught up"),
            "{text}"
        );
    }

    #[test]
    fn a_few_records_of_lag_stay_low() {
        // No partition is behind: the bars are not scaled up to look full.
        let columns = partition_columns(&[part(10, 2, 5), part(10, 4, 9)], 32);
        assert!((columns[1].fill - 4.0 / 20.0).abs() < 1e-6, "{columns:?}");
    }

    #[test]
    fn many_partitions_share_columns_and_keep_the_slowest() {
        let mut parts: Vec<PartitionSnapshot> = (0..100).map(|_| part(10, 1, 10)).collect();
        parts[57] = part(10, 80, 9_000);
        let columns = partition_columns(&parts, MAX_PARTITION_COLUMNS);
        // 100 partitions, 4 a column: 25 columns.
        assert_eq!(columns.len(), 25);
        assert!(columns.windows(2).all(|w| w[1].first == w[0].last + 1));
        assert_eq!((columns[0].first, columns[24].last), (0, 99));
        let hot = &columns[14];
        assert_eq!(
            (hot.first, hot.last, hot.name().as_str()),
            (56, 59, "p56–59")
        );
        assert_eq!(
            (hot.lag, hot.records, hot.behind()),
            (80, 40, Behind::Stuck)
        );
        assert!(
            partitions_text(&parts).contains("each bar stands for 4 neighbouring partitions"),
            "the tooltip says the bars are grouped"
        );
        // A narrow card draws fewer, wider groups.
        assert_eq!(partition_columns(&parts, 10).len(), 10);
        assert_eq!(partition_columns(&parts[..3], 0).len(), 1);
    }
}
