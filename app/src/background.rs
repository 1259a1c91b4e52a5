//! Work that must not hold up the window: replications, sweeps, exports,
//! pictures. On the desktop each job runs on a named thread of its own.
//! In the browser there are no threads: a job waits in a queue until the
//! start of the next frame ([`run_queued`]), so the frame that started it
//! is drawn first (with its spinner), and then runs on the page's one
//! thread. Either way the job reports back through whatever channel it
//! was given, and the window polls that as it does on the desktop.

#[cfg(target_arch = "wasm32")]
use std::cell::RefCell;

/// A job waiting for the next frame.
#[cfg(target_arch = "wasm32")]
type Job = Box<dyn FnOnce()>;

#[cfg(target_arch = "wasm32")]
thread_local! {
    static QUEUE: RefCell<Vec<Job>> = const { RefCell::new(Vec::new()) };
}

/// Starts `job` on a thread named `name` (in the browser: queues it for
/// the next frame).
///
/// # Errors
/// The system's refusal to start a thread.
pub fn spawn(name: &str, job: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    #[cfg(target_arch = "wasm32")]
    {
        let _ = name;
        QUEUE.with(|q| q.borrow_mut().push(Box::new(job)));
        Ok(())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(job)
            .map(drop)
    }
}

/// Runs the jobs queued since the last frame (in the browser; on the
/// desktop jobs run on their threads and there is never one queued).
/// Jobs a job queues wait for the frame after.
pub fn run_queued() {
    #[cfg(target_arch = "wasm32")]
    {
        let jobs = QUEUE.with(|q| std::mem::take(&mut *q.borrow_mut()));
        for job in jobs {
            job();
        }
    }
}

/// Whether jobs wait for the next frame: the window must then ask for one.
pub fn any_queued() -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        QUEUE.with(|q| !q.borrow().is_empty())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        false
    }
}
