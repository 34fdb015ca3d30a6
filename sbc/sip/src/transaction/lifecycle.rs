//! How transactions live and die inside the layer: one step of a machine with its
//! outcome applied, the §9.1 coupling of an INVITE and its CANCEL, and removal with
//! every index entry and timer of the transaction.

use std::time::Instant;

use super::ctx::{Ctx, Flow};
use super::entry::{ClientMachine, ClientTx, ServerMachine};
use super::events::{ClientTxId, ServerTxId, TransactionEvent};
use super::layer::TransactionLayer;
use super::timer::Timer;

impl TransactionLayer {
    pub(crate) fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Runs one step of client transaction `id` and applies its outcome.
    pub(crate) fn step_client(
        &mut self,
        now: Instant,
        id: ClientTxId,
        step: impl FnOnce(&mut ClientMachine, &mut Ctx<'_, ClientTxId>) -> Flow,
    ) {
        let Some(entry) = self.clients.get_mut(&id) else {
            return;
        };
        let mut ctx = Ctx {
            now,
            config: &self.config,
            peer: entry.peer,
            id,
            out: &mut self.out,
        };
        match step(&mut entry.machine, &mut ctx) {
            Flow::Terminate => self.remove_client(id),
            Flow::Continue => self.sync_cancel(now, id),
        }
    }

    pub(crate) fn step_server(
        &mut self,
        now: Instant,
        id: ServerTxId,
        step: impl FnOnce(&mut ServerMachine, &mut Ctx<'_, ServerTxId>) -> Flow,
    ) {
        let Some(entry) = self.servers.get_mut(&id) else {
            return;
        };
        let mut ctx = Ctx {
            now,
            config: &self.config,
            peer: entry.peer,
            id,
            out: &mut self.out,
        };
        if step(&mut entry.machine, &mut ctx) == Flow::Terminate {
            self.remove_server(id);
        }
    }

    /// A deferred CANCEL goes out once its INVITE is Proceeding, and is dropped once
    /// the INVITE has a final response (§9.1).
    fn sync_cancel(&mut self, now: Instant, id: ClientTxId) {
        let Some(ClientTx {
            machine: ClientMachine::Invite(invite),
            cancel: Some(cancel),
            ..
        }) = self.clients.get(&id)
        else {
            return;
        };
        let cancel = *cancel;
        if !self
            .clients
            .get(&cancel)
            .is_some_and(|c| c.machine.is_deferred())
        {
            return;
        }
        if invite.has_final() {
            self.remove_client(cancel);
        } else if !invite.is_calling() {
            self.send_cancel(now, id, cancel);
        }
    }

    pub(crate) fn send_cancel(&mut self, now: Instant, invite: ClientTxId, cancel: ClientTxId) {
        self.step_client(now, cancel, |m, ctx| {
            if let ClientMachine::NonInvite(m) = m {
                m.send_first(ctx);
            }
            Flow::Continue
        });
        // 64*T1 from now always fits an Instant (T1 is a configured duration of seconds).
        if let Some(at) = now.checked_add(self.config.timeout()) {
            self.out.timers.arm(invite.into(), Timer::Cancel, at);
        }
    }

    pub(crate) fn remove_client(&mut self, id: ClientTxId) {
        let Some(entry) = self.clients.remove(&id) else {
            return;
        };
        if self.client_keys.get(&entry.key) == Some(&id) {
            self.client_keys.remove(&entry.key);
        }
        self.out.timers.clear(id.into());
        self.out
            .events
            .push_back(TransactionEvent::Terminated { tx: id.into() });
        if let Some(cancel) = entry.cancel {
            if self
                .clients
                .get(&cancel)
                .is_some_and(|c| c.machine.is_deferred())
            {
                self.remove_client(cancel);
            }
        }
    }

    pub(crate) fn remove_server(&mut self, id: ServerTxId) {
        let Some(entry) = self.servers.remove(&id) else {
            return;
        };
        if self.server_keys.get(&entry.key) == Some(&id) {
            self.server_keys.remove(&entry.key);
        }
        if let Some(merge) = &entry.merge {
            if self.merge_keys.get(merge) == Some(&id) {
                self.merge_keys.remove(merge);
            }
        }
        self.out.timers.clear(id.into());
        self.out
            .events
            .push_back(TransactionEvent::Terminated { tx: id.into() });
    }
}
