//! The shard's end of handed-off transcoding (feature `transcoding`, with
//! [`ShardConfig::transcode_offload`](crate::ShardConfig::transcode_offload)).
//!
//! A transcoding step does not decode and encode in the packet path: it copies the
//! packet into its [`TranscodeJob`] and hands the job off. The IO layer runs the loop:
//!
//! 1. after the packet path and after [`Shard::handle_timeout`], take every job with
//!    [`Shard::poll_transcode`] and give it to a transcoding thread, which calls
//!    [`TranscodeJob::run`];
//! 2. when a job comes back, [`Shard::transcoded`]: the step numbers its outputs (its own
//!    SSRC, sequence numbers and timestamps), counts them for its RTCP and queues them
//!    for [`Shard::poll_transmit`] (protected for the side like any packet of the
//!    engine's own); what arrived meanwhile goes out as the next job at once;
//! 3. a job that could not be handed off (the threads' queue is full):
//!    [`Shard::transcode_refused`]; its packets are counted as
//!    [`DropKind::TranscodeQueue`] drops.
//!
//! A job whose stream closed, or whose step a re-INVITE replaced, is dropped when it comes
//! back. The shard never waits for a job: a direction's packets queue in its step
//! (up to [`JOB_INPUTS`](crate::transcode_job::JOB_INPUTS)) while its job is away.

use std::time::Instant;

use sbc_core::DropKind;

use crate::Shard;
use crate::slots::Slots;
use crate::transcode::TranscodeTransform;
use crate::transcode_job::TranscodeJob;
use crate::transmit::Emit;

impl Shard {
    /// The next job of codec work to run elsewhere (see the module docs).
    pub fn poll_transcode(&mut self) -> Option<Box<TranscodeJob>> {
        self.tx.jobs.pop_front()
    }

    /// A job is back, run: its outputs go out towards its side.
    pub fn transcoded(&mut self, now: Instant, job: Box<TranscodeJob>) {
        let (slot, key, toward) = (job.slot, job.key, job.toward);
        let Some(t) = owner_of(&mut self.streams, &job) else {
            return;
        };
        let mut emit = Emit::new(&mut self.tx, slot, key, toward);
        if t.finish(now, job, &mut emit).is_err() {
            self.drops.add(DropKind::Transform);
        }
    }

    /// A job could not be handed off: its packets are lost (counted), the step gets its
    /// codec state back.
    pub fn transcode_refused(&mut self, job: Box<TranscodeJob>) {
        let Some(t) = owner_of(&mut self.streams, &job) else {
            return;
        };
        for _ in 0..t.refused(job) {
            self.drops.add(DropKind::TranscodeQueue);
        }
    }
}

/// The step `job` belongs to, if it is still installed.
fn owner_of<'s>(streams: &'s mut Slots, job: &TranscodeJob) -> Option<&'s mut TranscodeTransform> {
    let s = streams.get_mut(job.slot)?.as_mut()?;
    if s.key != job.key {
        return None;
    }
    let t = s.side_mut(job.toward).egress.transform.as_mut()?;
    let t = t.as_any_mut()?.downcast_mut::<TranscodeTransform>()?;
    (t.owner() == job.owner).then_some(t)
}
