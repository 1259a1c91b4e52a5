//! Run → Record live view (GIF)…: the next seconds of the live run as an
//! animated GIF. The window asks for how many seconds, the frame rate and
//! the file; the recording runs on the `weir-record` thread through
//! [`crate::animation`] (a copy of the run, the model and seed on screen,
//! from zero to the instant shown and on), so the file is the one `weir
//! export --format gif` writes with the same span and seed, and neither
//! the window nor the live run waits for it. The copy runs the document's
//! model as drawn (the live run keeps in step with it: parameters apply
//! live, other edits restart it) with the live run's seed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};

use eframe::egui;
use sim_core::Model;
use sim_core::time::{Duration, NANOS_PER_SEC};

use super::files;
use super::session::LiveSession;
use crate::animation::{FPS_CHOICES, GifOptions, Recorder};
use crate::picture::Look;

/// The longest recording the window offers, in seconds.
pub const MAX_SECONDS: u32 = 300;

/// The Record live view window.
#[derive(Debug)]
pub struct RecordWindow {
    pub open: bool,
    /// Seconds of simulated time to record.
    pub seconds: u32,
    pub fps: u32,
    /// Where the GIF goes.
    pub path: String,
    job: Option<Job>,
    /// How the last recording ended: what was written, or why not.
    pub outcome: Option<Result<String, String>>,
}

impl Default for RecordWindow {
    fn default() -> Self {
        Self {
            open: false,
            seconds: 10,
            fps: GifOptions::DEFAULT_FPS,
            path: String::new(),
            job: None,
            outcome: None,
        }
    }
}

/// A recording under way.
#[derive(Debug)]
struct Job {
    /// Frames done and frames in all.
    progress: Arc<(AtomicU64, AtomicU64)>,
    cancel: Arc<AtomicBool>,
    done: Receiver<Result<(), String>>,
    path: PathBuf,
    /// The command line that writes the same file.
    command: String,
}

impl RecordWindow {
    /// Opens the window; the file defaults to the model's name as a GIF
    /// beside its file.
    pub fn open_on(&mut self, doc_path: Option<&Path>, name: &str) {
        self.open = true;
        if self.path.is_empty() {
            let file = format!("{}.gif", files::file_stem(name));
            let dir = doc_path.and_then(Path::parent);
            self.path = dir.map_or_else(|| file.clone(), |d| d.join(&file).display().to_string());
        }
    }

    pub fn is_recording(&self) -> bool {
        self.job.is_some()
    }

    /// Frames recorded and frames in all, while recording.
    pub fn progress(&self) -> Option<(u64, u64)> {
        self.job.as_ref().map(|j| {
            (
                j.progress.0.load(Ordering::Relaxed),
                j.progress.1.load(Ordering::Relaxed),
            )
        })
    }

    /// Starts recording the next [`Self::seconds`] of `model` as run by
    /// `session` (its seed), from the instant it shows (on the frame
    /// grid), to [`Self::path`].
    pub fn start(
        &mut self,
        model: &Model,
        session: &LiveSession,
        file_name: &str,
        look: Look,
        ctx: &egui::Context,
    ) -> Result<(), String> {
        if self.job.is_some() {
            return Err("a recording is already under way".to_owned());
        }
        let path = PathBuf::from(self.path.trim());
        if path.as_os_str().is_empty() {
            return Err("choose a file to write the GIF to".to_owned());
        }
        if path.is_dir() {
            return Err(format!("{} is a folder: name a file", path.display()));
        }
        let model = model.clone();
        let seed = session.seed;
        let now = session.frame().snapshot.now.as_nanos();
        let step = NANOS_PER_SEC / u64::from(self.fps.max(1));
        let from = Duration(now / step * step);
        let length = Duration::from_secs(u64::from(self.seconds.clamp(1, MAX_SECONDS)));
        let mut options = GifOptions::span(&model, from, length);
        options.fps = self.fps;
        options.look = look;
        if options.to <= options.from {
            return Err("the run is at its end: reset it to record".to_owned());
        }
        // Refused here, at once; the run up to `from` is the thread's work.
        let frames = options.frames(&model).map_err(|e| format!("{e:#}"))?;
        let command = format!(
            "weir export {file_name} --format gif --from {} --to {} --fps {} --seed {seed}{}",
            options.from,
            options.to,
            options.fps,
            if look == Look::Dark {
                " --look dark"
            } else {
                ""
            }
        );
        let progress = Arc::new((AtomicU64::new(0), AtomicU64::new(frames)));
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, rx) = std::sync::mpsc::channel();
        let (thread_progress, thread_cancel, out, ctx) =
            (progress.clone(), cancel.clone(), path.clone(), ctx.clone());
        crate::background::spawn("weir-record", move || {
            let outcome = (|| -> Result<(), String> {
                let mut recorder =
                    Recorder::new(&model, seed, options).map_err(|e| format!("{e:#}"))?;
                while recorder.step().map_err(|e| format!("{e:#}"))? {
                    if thread_cancel.load(Ordering::Relaxed) {
                        return Err("cancelled".to_owned());
                    }
                    thread_progress.0.store(recorder.done(), Ordering::Relaxed);
                    ctx.request_repaint();
                }
                let bytes = recorder.finish().map_err(|e| format!("{e:#}"))?;
                files::write_atomic(&out, bytes).map_err(|e| format!("{e:#}"))
            })();
            let _ = tx.send(outcome);
            ctx.request_repaint();
        })
        .map_err(|e| format!("cannot start the recording: {e}"))?;
        self.job = Some(Job {
            progress,
            cancel,
            done: rx,
            path,
            command,
        });
        self.outcome = None;
        Ok(())
    }

    /// Picks up a finished recording (never waits).
    pub fn poll(&mut self) {
        let Some(job) = &self.job else {
            return;
        };
        let outcome = match job.done.try_recv() {
            Ok(Ok(())) => Ok(format!(
                "Written to {}. The same file from the command line:\n{}",
                job.path.display(),
                job.command
            )),
            Ok(Err(why)) => Err(format!("The recording stopped: {why}")),
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => Err("The recording stopped unexpectedly".to_owned()),
        };
        self.outcome = Some(outcome);
        self.job = None;
    }

    /// The window, while open: the document's `model`, its live run if
    /// there is one, the name of its file.
    pub fn ui(
        &mut self,
        ctx: &egui::Context,
        model: &Model,
        session: Option<&LiveSession>,
        file_name: &str,
        look: Look,
    ) {
        if !self.open {
            return;
        }
        let mut open = self.open;
        // NOTE: at the top right, below the toolbar: the run controls and
        // most of the canvas stay in view while it records.
        let screen = ctx.content_rect();
        egui::Window::new("Record live view")
            .open(&mut open)
            .pivot(egui::Align2::RIGHT_TOP)
            .default_pos(screen.right_top() + egui::vec2(-16.0, 72.0))
            .resizable(false)
            .collapsible(false)
            .show(ctx, |ui| self.body_ui(ui, model, session, file_name, look));
        self.open = open;
    }

    fn body_ui(
        &mut self,
        ui: &mut egui::Ui,
        model: &Model,
        session: Option<&LiveSession>,
        file_name: &str,
        look: Look,
    ) {
        ui.label(
            "The next seconds of the live run as an animated GIF, drawn as the canvas shows it. \
             A copy of the run records in the background: the run on screen goes on.",
        );
        ui.add_space(6.0);
        let busy = self.job.is_some();
        ui.add_enabled_ui(!busy, |ui| {
            egui::Grid::new("record-fields")
                .num_columns(2)
                .spacing([12.0, 6.0])
                .show(ui, |ui| {
                    ui.label("Seconds");
                    ui.add(
                        egui::DragValue::new(&mut self.seconds)
                            .range(1..=MAX_SECONDS)
                            .suffix(" s"),
                    )
                    .on_hover_text("Simulated seconds from the instant on screen");
                    ui.end_row();
                    ui.label("Frames a second");
                    egui::ComboBox::from_id_salt("record-fps")
                        .selected_text(self.fps.to_string())
                        .show_ui(ui, |ui| {
                            for fps in FPS_CHOICES {
                                ui.selectable_value(&mut self.fps, fps, fps.to_string());
                            }
                        });
                    ui.end_row();
                    ui.label("File");
                    ui.horizontal(|ui| {
                        ui.add(
                            egui::TextEdit::singleline(&mut self.path)
                                .desired_width(280.0)
                                .hint_text("where to write the GIF"),
                        );
                        if ui.button("Choose…").clicked()
                            && let Some(path) = files::pick_export(file_name, "Animated GIF", "gif")
                        {
                            self.path = path.display().to_string();
                        }
                    });
                    ui.end_row();
                });
        });
        ui.add_space(6.0);
        if let Some((done, all)) = self.progress() {
            #[expect(clippy::cast_precision_loss, reason = "a progress bar")]
            let share = done as f32 / all.max(1) as f32;
            ui.add(egui::ProgressBar::new(share).text(format!("frame {done} of {all}")));
            if ui.button("Cancel recording").clicked()
                && let Some(job) = &self.job
            {
                job.cancel.store(true, Ordering::Relaxed);
            }
            return;
        }
        match session {
            None => {
                ui.label(
                    egui::RichText::new(
                        "Play the live run first: the recording starts where it is.",
                    )
                    .weak(),
                );
            }
            Some(session) => {
                let now = session.frame().snapshot.now;
                ui.label(format!(
                    "From {:.1} s of simulated time, seed {}",
                    now.as_secs_f64(),
                    session.seed
                ));
                if ui.button("Record GIF").clicked()
                    && let Err(why) = self.start(model, session, file_name, look, ui.ctx())
                {
                    self.outcome = Some(Err(why));
                }
            }
        }
        match &self.outcome {
            Some(Ok(text)) => {
                ui.label(text);
            }
            Some(Err(text)) => {
                ui.colored_label(ui.visuals().error_fg_color, text);
            }
            None => {}
        }
    }
}
