//! The workshop's lessons, bundled into the binary like the gallery, in
//! the order a workshop teaches them. The format is `sim_core::lesson`'s
//! (`docs/lessons.md`).

use sim_core::lesson::{self, Lesson, LessonError};

/// A bundled lesson file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BundledLesson {
    /// The file name in `lessons/`, which is also the key its progress is
    /// kept under.
    pub file: &'static str,
    pub text: &'static str,
}

impl BundledLesson {
    /// The lesson, read and checked.
    pub fn load(&self) -> Result<Lesson, LessonError> {
        lesson::from_str(&format!("lessons/{}", self.file), self.text)
    }
}

macro_rules! bundled {
    ($($file:literal),* $(,)?) => {
        &[$(BundledLesson {
            file: $file,
            text: include_str!(concat!("../../lessons/", $file)),
        }),*]
    };
}

/// Every lesson, in teaching order.
pub const LESSONS: &[BundledLesson] = bundled![
    "01-hockey-stick.ron",
    "02-backpressure.ron",
    "03-retry-storm.ron",
    "04-circuit-breaker.ron",
    "05-poison-dlq.ron",
    "06-partitions.ron",
    "07-head-of-line.ron",
    "08-cqrs-staleness.ron",
    "09-autoscaling.ron",
    "10-serverless.ron",
    "11-metastable.ron",
    "12-duplicates.ron",
    "13-failover.ron",
];

/// The bundled lesson stored under `file`, if there is one.
pub fn find(file: &str) -> Option<BundledLesson> {
    LESSONS.iter().copied().find(|l| l.file == file)
}
