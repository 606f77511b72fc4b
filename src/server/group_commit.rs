//! Group commit: writes of one kind that arrive while another is being
//! written wait, and then go to the database together, in one transaction
//! of multi-row statements.
//!
//! SQLite takes one writer at a time, and a transaction of a few small
//! statements spends most of its time handing each statement to the
//! connection's thread and back, not writing. Under load, one transaction
//! for many requests is what lets creates and token issues keep up. A
//! lone request is written at once, as a group of one.
//!
//! A group is all or nothing. When it fails, each of its writes is tried
//! again alone, so one bad request (a taken UID) gets its own error and
//! the others still land, each in its own transaction.

use std::sync::{Arc, Mutex, PoisonError};

use futures::future::BoxFuture;
use tokio::sync::oneshot;

use crate::server::{Error, Result, db::Db};

/// Writes a group of jobs in one transaction; answers one result per job,
/// in their order.
pub type WriteGroup<J, T> = fn(Db, Arc<[J]>) -> BoxFuture<'static, Result<Vec<T>>>;

/// At most this many writes go in one transaction, so a group's statements
/// stay small and the first in the queue do not wait for the last.
const MOST_PER_GROUP: usize = 64;

/// The queue of one kind of write to one database; the database keeps it
/// (`Db::kept`).
pub struct GroupCommit<J, T> {
    write: WriteGroup<J, T>,
    lane: Arc<Mutex<Lane<J, T>>>,
}

struct Lane<J, T> {
    waiting: Vec<(J, oneshot::Sender<Result<T>>)>,
    /// Whether a task is writing this lane's groups; it stops when the
    /// queue is empty, so no task outlives the work.
    writing: bool,
}

impl<J, T> GroupCommit<J, T>
where
    J: Clone + Send + Sync + 'static,
    T: Send + 'static,
{
    pub fn new(write: WriteGroup<J, T>) -> Self {
        GroupCommit { write, lane: Arc::new(Mutex::new(Lane { waiting: Vec::new(), writing: false })) }
    }

    /// Queues the job and answers its result once its group is written.
    /// The writing runs in its own task: a request that goes away (its
    /// client hung up) does not take the other requests' writes with it.
    pub async fn write(&self, db: &Db, job: J) -> Result<T> {
        let lane = self.lane.clone();
        let (reply, result) = oneshot::channel();
        let start_writer = {
            let mut state = lane.lock().unwrap_or_else(PoisonError::into_inner);
            state.waiting.push((job, reply));
            !std::mem::replace(&mut state.writing, true)
        };
        if start_writer {
            tokio::spawn(write_until_empty(self.write, db.clone(), lane));
        }
        result.await.unwrap_or_else(|_| Err(Error::Internal("a group write stopped before it answered".into())))
    }
}

async fn write_until_empty<J: Clone + Sync, T>(write: WriteGroup<J, T>, db: Db, lane: Arc<Mutex<Lane<J, T>>>) {
    let mut unfinished = FreeIfUnfinished(Some(&lane));
    loop {
        // Requests already running on the other workers queue their writes
        // in the meantime: the group takes them along instead of leaving
        // them for a transaction of their own.
        tokio::task::yield_now().await;
        let group: Vec<_> = {
            let mut state = lane.lock().unwrap_or_else(PoisonError::into_inner);
            if state.waiting.is_empty() {
                // Under the lock, so a job queued from now on starts a writer.
                state.writing = false;
                unfinished.0 = None;
                return;
            }
            let size = state.waiting.len().min(MOST_PER_GROUP);
            state.waiting.drain(..size).collect()
        };
        let (jobs, replies): (Vec<J>, Vec<_>) = group.into_iter().unzip();
        let jobs: Arc<[J]> = jobs.into();
        let results = match write(db.clone(), jobs.clone()).await {
            Ok(done) => done.into_iter().map(Ok).collect(),
            Err(error) if jobs.len() == 1 => vec![Err(error)],
            Err(_) => {
                let mut one_by_one = Vec::with_capacity(jobs.len());
                for job in jobs.iter() {
                    let alone = Arc::new([job.clone()]);
                    one_by_one.push(write(db.clone(), alone).await.map(|mut done| done.remove(0)));
                }
                one_by_one
            }
        };
        for (reply, result) in replies.into_iter().zip(results) {
            // A requester that went away no longer wants its answer.
            let _ = reply.send(result);
        }
    }
}

/// Should a writer panic or its runtime stop, frees the lane and answers
/// the jobs still waiting (with an error, through their dropped senders)
/// instead of leaving them hanging.
struct FreeIfUnfinished<'a, J, T>(Option<&'a Mutex<Lane<J, T>>>);

impl<J, T> Drop for FreeIfUnfinished<'_, J, T> {
    fn drop(&mut self) {
        if let Some(lane) = self.0 {
            let mut state = lane.lock().unwrap_or_else(PoisonError::into_inner);
            state.writing = false;
            state.waiting.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use futures::future::join_all;

    use super::*;

    thread_local! {
        /// The size of each group written, in order. Tests run on a
        /// current-thread runtime, so the writer tasks share the test's thread.
        static GROUPS: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    }

    /// Doubles each job; a group with a 13 in it fails as a whole.
    fn double_unless_13(_db: Db, jobs: Arc<[u32]>) -> BoxFuture<'static, Result<Vec<u32>>> {
        Box::pin(async move {
            GROUPS.with_borrow_mut(|groups| groups.push(jobs.len()));
            tokio::task::yield_now().await;
            if jobs.contains(&13) {
                return Err(Error::invalid("ERR_UNLUCKY", "13 is in the group."));
            }
            Ok(jobs.iter().map(|job| job * 2).collect())
        })
    }

    /// Each job with its result.
    async fn write_at_once(jobs: std::ops::Range<u32>) -> Vec<(u32, Result<u32>)> {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        let commit = GroupCommit::new(double_unless_13);
        jobs.clone().zip(join_all(jobs.map(|job| commit.write(&db, job))).await).collect()
    }

    #[tokio::test]
    async fn jobs_queued_together_are_written_together_at_most_64_at_a_time() {
        for (job, result) in write_at_once(20..90).await {
            assert_eq!(result.unwrap(), job * 2);
        }
        assert_eq!(GROUPS.take(), [64, 6]);
    }

    #[tokio::test]
    async fn a_failed_group_is_written_again_one_by_one_so_only_the_bad_job_fails() {
        for (job, result) in write_at_once(10..16).await {
            match result {
                Ok(doubled) => assert_eq!(doubled, job * 2),
                Err(error) => assert_eq!((job, error.code()), (13, "ERR_UNLUCKY")),
            }
        }
        assert_eq!(GROUPS.take(), [6, 1, 1, 1, 1, 1, 1]);
    }

    #[tokio::test]
    async fn a_lone_job_is_written_at_once_and_the_lane_is_free_again_after() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        let commit = GroupCommit::new(double_unless_13);
        assert_eq!(commit.write(&db, 1).await.unwrap(), 2);
        assert_eq!(commit.write(&db, 2).await.unwrap(), 4);
        assert_eq!(GROUPS.take(), [1, 1]);
    }
}
