//! The write queue of one stream connection: the core pushes messages without waiting
//! ([`Writer::try_send`]), the connection task pops them ([`Queue::recv`]).
//!
//! Why not `tokio::sync::mpsc`: a tokio channel allocates a block of 32 slots up front,
//! about 1.3 kB per channel with its state — a tenth of what an idle TLS connection costs
//! in all. This queue is one small allocation while empty and holds only what is queued.
//!
//! Semantics are those of a bounded mpsc channel, bounded by bytes rather than messages
//! (a stall of the connection task under load should be absorbed whatever the message
//! sizes; what bounds memory is bytes): `try_send` fails with [`TrySendError::Full`] when
//! the message would take the queued bytes past the capacity (a message is always taken
//! into an empty queue), and with [`TrySendError::Closed`] once the [`Queue`] is gone;
//! `recv` yields `None` once every [`Writer`] is gone and the queue is empty.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

/// The sending side, held by the core (cloneable).
#[derive(Debug)]
pub struct Writer {
    shared: Arc<Shared>,
}

/// The receiving side, owned by the connection task.
#[derive(Debug)]
pub struct Queue {
    shared: Arc<Shared>,
}

/// Why a message was not queued; the message is handed back.
#[derive(Debug, PartialEq, Eq)]
pub enum TrySendError {
    Full(Vec<u8>),
    Closed(Vec<u8>),
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// Wakes the receiver: a message arrived or the last writer left.
    notify: Notify,
    /// Bytes queued at most.
    capacity: usize,
}

#[derive(Debug)]
struct State {
    messages: VecDeque<Vec<u8>>,
    /// Bytes of `messages`.
    bytes: usize,
    writers: usize,
    receiver_gone: bool,
}

/// A queue holding at most `capacity` bytes (and any one message when empty).
pub fn queue(capacity: usize) -> (Writer, Queue) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            messages: VecDeque::new(),
            bytes: 0,
            writers: 1,
            receiver_gone: false,
        }),
        notify: Notify::new(),
        capacity,
    });
    (
        Writer {
            shared: shared.clone(),
        },
        Queue { shared },
    )
}

impl Shared {
    /// The state; a panic elsewhere while holding the lock leaves it consistent (every
    /// critical section is a single push, pop or flag change), so poisoning is ignored.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Writer {
    /// Queues `message` without waiting.
    pub fn try_send(&self, message: Vec<u8>) -> Result<(), TrySendError> {
        {
            let mut state = self.shared.lock();
            if state.receiver_gone {
                return Err(TrySendError::Closed(message));
            }
            if !state.messages.is_empty() && state.bytes + message.len() > self.shared.capacity {
                return Err(TrySendError::Full(message));
            }
            state.bytes += message.len();
            state.messages.push_back(message);
        }
        self.shared.notify.notify_one();
        Ok(())
    }

    /// Whether the connection task is gone.
    pub fn is_closed(&self) -> bool {
        self.shared.lock().receiver_gone
    }
}

impl Clone for Writer {
    fn clone(&self) -> Self {
        self.shared.lock().writers += 1;
        Writer {
            shared: self.shared.clone(),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let last = {
            let mut state = self.shared.lock();
            state.writers -= 1;
            state.writers == 0
        };
        if last {
            self.shared.notify.notify_one();
        }
    }
}

impl Queue {
    /// The next message; `None` once every writer is gone and nothing is left.
    pub async fn recv(&mut self) -> Option<Vec<u8>> {
        loop {
            // Registered before looking, so that a send in between is not missed
            // (`notify_one` leaves a permit when nobody waits yet).
            let notified = self.shared.notify.notified();
            {
                let mut state = self.shared.lock();
                if let Some(message) = state.pop() {
                    return Some(message);
                }
                if state.writers == 0 {
                    return None;
                }
            }
            notified.await;
        }
    }

    /// The next message if one is queued.
    pub fn try_recv(&mut self) -> Option<Vec<u8>> {
        self.shared.lock().pop()
    }

    /// Messages queued.
    pub fn len(&self) -> usize {
        self.shared.lock().messages.len()
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.receiver_gone = true;
        // What was queued is dropped with the connection, not when the core lets go.
        state.messages = VecDeque::new();
        state.bytes = 0;
    }
}

impl State {
    fn pop(&mut self) -> Option<Vec<u8>> {
        let message = self.messages.pop_front()?;
        self.bytes -= message.len();
        Some(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bounded_ordered_and_closed_both_ways() {
        let (w, mut q) = queue(2);
        assert_eq!(w.try_send(b"a".to_vec()), Ok(()));
        let w2 = w.clone();
        assert_eq!(w2.try_send(b"b".to_vec()), Ok(()));
        assert_eq!(
            w.try_send(b"c".to_vec()),
            Err(TrySendError::Full(b"c".to_vec()))
        );
        assert_eq!(q.len(), 2);
        assert_eq!(q.recv().await, Some(b"a".to_vec()));
        assert_eq!(q.try_recv(), Some(b"b".to_vec()));
        assert_eq!(q.try_recv(), None);
        drop(w);
        assert!(!w2.is_closed());
        w2.try_send(b"d".to_vec()).expect("room");
        drop(w2);
        assert_eq!(
            q.recv().await,
            Some(b"d".to_vec()),
            "queued before the last writer left"
        );
        assert_eq!(q.recv().await, None, "every writer gone");

        let (w, q) = queue(1);
        drop(q);
        assert!(w.is_closed());
        assert_eq!(
            w.try_send(b"x".to_vec()),
            Err(TrySendError::Closed(b"x".to_vec()))
        );
    }

    #[tokio::test]
    async fn bounded_by_bytes_and_any_message_fits_an_empty_queue() {
        let (w, mut q) = queue(10);
        assert_eq!(
            w.try_send(vec![1; 25]),
            Ok(()),
            "larger than the capacity, queue empty"
        );
        assert_eq!(w.try_send(vec![2; 1]), Err(TrySendError::Full(vec![2; 1])));
        assert_eq!(q.recv().await, Some(vec![1; 25]));
        assert_eq!(w.try_send(vec![3; 6]), Ok(()));
        assert_eq!(w.try_send(vec![4; 4]), Ok(()), "exactly the capacity");
        assert_eq!(w.try_send(vec![5; 1]), Err(TrySendError::Full(vec![5; 1])));
        assert_eq!(q.try_recv(), Some(vec![3; 6]));
        assert_eq!(w.try_send(vec![6; 6]), Ok(()), "room again once popped");
        assert_eq!(q.len(), 2);
    }

    #[tokio::test]
    async fn a_waiting_receiver_is_woken() {
        let (w, mut q) = queue(4);
        let task = tokio::spawn(async move { q.recv().await });
        tokio::task::yield_now().await;
        w.try_send(b"late".to_vec()).expect("room");
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), task)
            .await
            .expect("woken in time")
            .expect("task ran");
        assert_eq!(got, Some(b"late".to_vec()));
    }
}
