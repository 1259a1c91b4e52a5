//! The live view as an animated GIF: a run's canvas with its live state
//! (dots on the links, queue fill and busy bars, blocked marks) at fixed
//! instants of simulated time.
//!
//! A [`Recorder`] steps the run with the live view's own [`Stepper`] (no
//! thread) and feeds each frame to a [`LiveView`] whose clock is the
//! simulated time, so dots cross a link in the same 0.9 s they take at
//! ×1 in the window. Each instant is painted by the designer's own
//! `canvas_ui` through [`CanvasPainter`] and rasterised like the PNG
//! export. Frames are `from + k / fps`, so the result depends on the model
//! and the seed only: the same bytes on every machine, from `weir export
//! --format gif` and from the window's Record.
//!
//! Size: each frame after the first holds only the rectangle that
//! changed, with the pixels that did not as transparent; each has its own
//! palette (the exact colours when there are at most 255, else the 255
//! `NeuQuant` picks); a frame identical to the one before lengthens its
//! delay instead.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context as _, Result, bail};
use sim_core::Model;
use sim_core::time::{Duration, NANOS_PER_SEC, SimTime};

use crate::gui::session::LiveView;
use crate::live::{Command, LiveFrame, Notice, Stepper};
use crate::picture::{CanvasPainter, Look, Rasteriser};

/// The frame rates offered: those whose frame lasts a whole number of
/// hundredths of a second (a GIF's unit of delay).
pub const FPS_CHOICES: [u32; 7] = [1, 2, 4, 5, 10, 20, 25];
/// Frames in one animation at most (five minutes at 10 frames a second).
pub const MAX_FRAMES: u64 = 3000;
/// The widest or tallest frame, in pixels.
pub const MAX_SIDE: u32 = 2048;
/// Pixels over all frames at most (bounds the work: every frame is drawn
/// and compared in full).
pub const MAX_TOTAL_PIXELS: u64 = 1_500_000_000;
/// Simulated time run before the first frame, unseen, so that rates and
/// moving dots are under way when the animation starts (less when the
/// animation starts earlier than that).
const PRE_ROLL: Duration = Duration::from_secs(1);
/// The sampling factor of `NeuQuant` (1 best, 30 fastest).
const QUANT_SPEED: i32 = 10;

/// What to record.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GifOptions {
    /// The first frame's instant.
    pub from: Duration,
    /// The animation ends here (no frame is at `to` itself).
    pub to: Duration,
    pub fps: u32,
    pub look: Look,
}

impl GifOptions {
    pub const DEFAULT_FPS: u32 = 10;

    /// `from` for `length` (capped at the run's end) at the default rate.
    pub fn span(model: &Model, from: Duration, length: Duration) -> Self {
        let end = model.scenario.duration;
        let to = Duration(from.0.saturating_add(length.0).min(end.0));
        Self {
            from,
            to,
            fps: Self::DEFAULT_FPS,
            look: Look::Light,
        }
    }

    /// The number of frames, or why these options cannot be recorded for
    /// `model`.
    pub fn frames(&self, model: &Model) -> Result<u64> {
        if !FPS_CHOICES.contains(&self.fps) {
            let choices: Vec<String> = FPS_CHOICES.iter().map(u32::to_string).collect();
            bail!(
                "--fps {} cannot be timed exactly in a GIF (its delays are hundredths of a second): choose {}",
                self.fps,
                choices.join(", ")
            );
        }
        let end = model.scenario.duration;
        if self.from >= end {
            bail!(
                "--from ({}) is at or past the end of the run ({}, the scenario's duration)",
                self.from,
                end
            );
        }
        if self.to <= self.from {
            bail!("--to ({}) must come after --from ({})", self.to, self.from);
        }
        if self.to > end {
            bail!(
                "--to ({}) is past the end of the run ({}, the scenario's duration)",
                self.to,
                end
            );
        }
        let span = u128::from(self.to.0 - self.from.0);
        let frames = (span * u128::from(self.fps)).div_ceil(u128::from(NANOS_PER_SEC));
        let frames = u64::try_from(frames).unwrap_or(u64::MAX);
        if frames > MAX_FRAMES {
            bail!(
                "{frames} frames ({} to {} at {} a second) are too many: at most {MAX_FRAMES}; record a shorter span or fewer frames a second",
                self.from,
                self.to,
                self.fps
            );
        }
        Ok(frames)
    }

    /// The instant of frame `k`.
    fn at(&self, k: u64) -> SimTime {
        let offset = u128::from(k) * u128::from(NANOS_PER_SEC) / u128::from(self.fps);
        SimTime(
            self.from
                .0
                .saturating_add(u64::try_from(offset).unwrap_or(u64::MAX)),
        )
    }

    /// Hundredths of a second each frame shows.
    fn delay(&self) -> u16 {
        u16::try_from(100 / self.fps.max(1)).unwrap_or(1)
    }
}

/// An animation being recorded, one frame at a time (so a caller can
/// report progress or give up between frames).
pub struct Recorder {
    options: GifOptions,
    frames: u64,
    done: u64,
    stepper: Stepper,
    view: LiveView,
    painter: CanvasPainter,
    raster: Rasteriser,
    spare: Option<Box<LiveFrame>>,
    dark: bool,
    size: [u16; 2],
    encoder: gif::Encoder<Vec<u8>>,
    /// The last frame as shown, RGBA.
    shown: Option<Vec<u8>>,
    /// The frame before the last, written once its delay is known.
    pending: Option<gif::Frame<'static>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("options", &self.options)
            .field("frames", &self.frames)
            .field("done", &self.done)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// Starts recording `model` run with `seed`; the run goes as far as
    /// the pre-roll here.
    pub fn new(model: &Model, seed: u64, options: GifOptions) -> Result<Self> {
        let frames = options.frames(model)?;
        let painter = CanvasPainter::new(model, options.look);
        let size = painter.size();
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a picture's size in whole points, checked below"
        )]
        let (width, height) = (size.x.ceil() as u32, size.y.ceil() as u32);
        if width > MAX_SIDE || height > MAX_SIDE {
            bail!(
                "the canvas is {width} × {height} pixels; a GIF frame may be at most {MAX_SIDE} on a side"
            );
        }
        let total = u64::from(width) * u64::from(height) * frames;
        if total > MAX_TOTAL_PIXELS {
            bail!(
                "{frames} frames of {width} × {height} pixels are too much to draw (at most {MAX_TOTAL_PIXELS} pixels in all); record a shorter span or fewer frames a second"
            );
        }
        let size = [
            u16::try_from(width).context("frame width")?,
            u16::try_from(height).context("frame height")?,
        ];
        let mut stepper = Stepper::new(model, seed).map_err(|e| anyhow::anyhow!(e))?;
        stepper.apply(Command::Play);
        let mut encoder =
            gif::Encoder::new(Vec::new(), size[0], size[1], &[]).context("cannot start the GIF")?;
        encoder
            .set_repeat(gif::Repeat::Infinite)
            .context("cannot start the GIF")?;
        let mut recorder = Self {
            options,
            frames,
            done: 0,
            stepper,
            view: LiveView::new(model),
            painter,
            raster: Rasteriser::new(),
            spare: None,
            dark: options.look == Look::Dark,
            size,
            encoder,
            shown: None,
            pending: None,
        };
        recorder.pre_roll()?;
        Ok(recorder)
    }

    /// Frames in the animation.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Frames recorded so far.
    pub fn done(&self) -> u64 {
        self.done
    }

    /// The frame size in pixels.
    pub fn size(&self) -> [u16; 2] {
        self.size
    }

    /// Runs up to the first frame, showing the run to the view at the
    /// animation's rate, so rates and dots are under way.
    fn pre_roll(&mut self) -> Result<()> {
        let from = self.options.from;
        let start = from.0.saturating_sub(PRE_ROLL.0);
        let step = NANOS_PER_SEC / u64::from(self.options.fps);
        // Whole frames before `from`, so the pre-roll keeps the rhythm.
        let steps = (from.0 - start) / step;
        for i in (1..=steps).rev() {
            self.advance(SimTime(from.0 - i * step))?;
        }
        Ok(())
    }

    /// Runs to `at` and shows the frame there to the view.
    fn advance(&mut self, at: SimTime) -> Result<()> {
        self.stepper.run_to(at);
        let mut frame = self.spare.take().unwrap_or_default();
        frame.notices.clear();
        self.stepper.publish(&mut frame);
        if let Some(Notice::Failed(why)) = frame
            .notices
            .iter()
            .find(|n| matches!(n, Notice::Failed(_)))
        {
            bail!("the run failed at {}: {why}", at.since(SimTime::ZERO));
        }
        self.view.tick(at.as_secs_f64());
        self.spare = Some(self.view.show(frame));
        Ok(())
    }

    /// Records the next frame; `false` once every frame is recorded.
    pub fn step(&mut self) -> Result<bool> {
        if self.done >= self.frames {
            return Ok(false);
        }
        self.advance(self.options.at(self.done))?;
        let svg = {
            let mut overlay = self.view.overlay(self.dark);
            self.painter
                .svg(Some(&mut overlay as &mut dyn crate::gui::canvas::Overlay))
        };
        let ([width, height], rgba) = self.raster.rgba(&svg, 1.0).context("cannot draw a frame")?;
        if [width, height] != [u32::from(self.size[0]), u32::from(self.size[1])] {
            bail!("a frame came out {width} × {height} pixels, not the animation's size");
        }
        self.encode(rgba)?;
        self.done += 1;
        Ok(self.done < self.frames)
    }

    /// Adds a frame: the rectangle that changed since the last one, or a
    /// longer delay for the last one when nothing did.
    fn encode(&mut self, rgba: Vec<u8>) -> Result<()> {
        let delay = self.options.delay();
        let width = usize::from(self.size[0]);
        let changed = match &self.shown {
            None => Some((0, 0, width, usize::from(self.size[1]))),
            Some(before) => changed_rect(before, &rgba, width),
        };
        let Some((left, top, w, h)) = changed else {
            if let Some(pending) = &mut self.pending {
                pending.delay = pending.delay.saturating_add(delay);
            }
            return Ok(());
        };
        let frame = quantise(
            self.shown.as_deref(),
            &rgba,
            width,
            (left, top, w, h),
            delay,
        )?;
        if let Some(pending) = self.pending.replace(frame) {
            self.encoder
                .write_frame(&pending)
                .context("cannot write a GIF frame")?;
        }
        self.shown = Some(rgba);
        Ok(())
    }

    /// The finished GIF.
    pub fn finish(mut self) -> Result<Vec<u8>> {
        while self.step()? {}
        if let Some(pending) = self.pending.take() {
            self.encoder
                .write_frame(&pending)
                .context("cannot write a GIF frame")?;
        }
        self.encoder.into_inner().context("cannot finish the GIF")
    }
}

/// Records the whole animation, calling `progress(done, frames)` after
/// each frame.
pub fn record(
    model: &Model,
    seed: u64,
    options: GifOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Vec<u8>> {
    let mut recorder = Recorder::new(model, seed, options)?;
    while recorder.step()? {
        progress(recorder.done(), recorder.frames());
    }
    progress(recorder.done(), recorder.frames());
    recorder.finish()
}

/// The smallest rectangle (left, top, width, height) holding every pixel
/// that differs, or `None` when none does.
fn changed_rect(before: &[u8], after: &[u8], width: usize) -> Option<(usize, usize, usize, usize)> {
    let row = width * 4;
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for (y, (a, b)) in before
        .chunks_exact(row)
        .zip(after.chunks_exact(row))
        .enumerate()
    {
        if a == b {
            continue;
        }
        let first = a
            .chunks_exact(4)
            .zip(b.chunks_exact(4))
            .position(|(p, q)| p != q);
        let last = a
            .chunks_exact(4)
            .zip(b.chunks_exact(4))
            .rposition(|(p, q)| p != q);
        if let (Some(first), Some(last)) = (first, last) {
            x0 = x0.min(first);
            x1 = x1.max(last);
            y0 = y0.min(y);
            y1 = y;
        }
    }
    (x0 != usize::MAX).then(|| (x0, y0, x1 - x0 + 1, y1 - y0 + 1))
}

/// A colour's index in a frame's palette.
type ColourIndex = Box<dyn Fn([u8; 3]) -> u8>;

/// A GIF frame of the rectangle `(left, top, w, h)` of `rgba` (`width`
/// pixels a row), with pixels equal to `before`'s transparent.
fn quantise(
    before: Option<&[u8]>,
    rgba: &[u8],
    width: usize,
    (left, top, w, h): (usize, usize, usize, usize),
    delay: u16,
) -> Result<gif::Frame<'static>> {
    // The rectangle's pixels, `None` where unchanged.
    let mut pixels: Vec<Option<[u8; 3]>> = Vec::with_capacity(w * h);
    for y in top..top + h {
        for x in left..left + w {
            let i = (y * width + x) * 4;
            let now = &rgba[i..i + 4];
            let same = before.is_some_and(|b| &b[i..i + 4] == now);
            pixels.push((!same).then(|| [now[0], now[1], now[2]]));
        }
    }
    let mut colours: BTreeMap<[u8; 3], u8> = BTreeMap::new();
    let mut exact = true;
    for p in pixels.iter().flatten() {
        if !colours.contains_key(p) {
            if colours.len() == 255 {
                exact = false;
                break;
            }
            colours.insert(*p, 0);
        }
    }
    let (palette, index): (Vec<u8>, ColourIndex) = if exact {
        for (i, slot) in colours.values_mut().enumerate() {
            *slot = u8::try_from(i).unwrap_or(u8::MAX);
        }
        let palette = colours.keys().flatten().copied().collect();
        (
            palette,
            Box::new(move |p: [u8; 3]| colours.get(&p).copied().unwrap_or(0)),
        )
    } else {
        let sample: Vec<u8> = pixels
            .iter()
            .flatten()
            .flat_map(|&[r, g, b]| [r, g, b, 255])
            .collect();
        let quant = color_quant::NeuQuant::new(QUANT_SPEED, 255, &sample);
        let palette = quant.color_map_rgb();
        let cache = std::cell::RefCell::new(HashMap::<[u8; 3], u8>::new());
        (
            palette,
            Box::new(move |p: [u8; 3]| {
                *cache.borrow_mut().entry(p).or_insert_with(|| {
                    u8::try_from(quant.index_of(&[p[0], p[1], p[2], 255])).unwrap_or(0)
                })
            }),
        )
    };
    let colours_used = palette.len() / 3;
    let transparent = u8::try_from(colours_used).unwrap_or(u8::MAX);
    let any_unchanged = pixels.iter().any(Option::is_none);
    let mut palette = palette;
    if any_unchanged {
        palette.extend([0, 0, 0]);
    }
    let buffer: Vec<u8> = pixels
        .iter()
        .map(|p| p.map_or(transparent, &index))
        .collect();
    Ok(gif::Frame {
        delay,
        dispose: gif::DisposalMethod::Keep,
        transparent: any_unchanged.then_some(transparent),
        left: u16::try_from(left).context("frame position")?,
        top: u16::try_from(top).context("frame position")?,
        width: u16::try_from(w).context("frame width")?,
        height: u16::try_from(h).context("frame height")?,
        palette: Some(palette),
        buffer: buffer.into(),
        ..gif::Frame::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_changed_rectangle_bounds_every_difference() {
        let width = 4;
        let before = vec![0_u8; 4 * 4 * 4];
        let mut after = before.clone();
        assert_eq!(changed_rect(&before, &after, width), None);
        after[(4 + 1) * 4] = 9; // (1, 1)
        after[(2 * 4 + 3) * 4 + 2] = 9; // (3, 2)
        assert_eq!(changed_rect(&before, &after, width), Some((1, 1, 3, 2)));
    }

    #[test]
    fn unchanged_pixels_are_transparent_and_colours_exact() {
        let width = 2;
        let before = vec![10, 20, 30, 255, 10, 20, 30, 255];
        let after = vec![10, 20, 30, 255, 200, 0, 0, 255];
        let frame = quantise(Some(&before), &after, width, (0, 0, 2, 1), 10).expect("frame");
        assert_eq!(frame.transparent, Some(1));
        assert_eq!(frame.buffer.as_ref(), &[1, 0]);
        assert_eq!(frame.palette.as_deref(), Some(&[200, 0, 0, 0, 0, 0][..]));
    }
}
