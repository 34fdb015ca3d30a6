//! The byte streams a connection task runs over: plain TCP, or TLS over TCP (accepted or
//! opened), and the one non-waiting read the task needs.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::Poll;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A byte stream over a TCP socket: plain TCP, or TLS over it.
pub trait Socket: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    /// The TCP socket underneath, to wait for readability without a buffer.
    fn tcp(&self) -> &TcpStream;
}

impl Socket for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

/// A TLS stream is large (its rustls connection state is ~1.2 kB inline): connection tasks
/// hold it boxed, so that it exists once and not in several states of the task's future.
impl<T: Socket> Socket for Box<T> {
    fn tcp(&self) -> &TcpStream {
        (**self).tcp()
    }
}

impl Socket for tokio_rustls::server::TlsStream<TcpStream> {
    fn tcp(&self) -> &TcpStream {
        self.get_ref().0
    }
}

impl Socket for tokio_rustls::client::TlsStream<TcpStream> {
    fn tcp(&self) -> &TcpStream {
        self.get_ref().0
    }
}

/// One read attempt that does not wait: `None` when nothing is available right now.
pub async fn read_now<S: AsyncRead + Unpin>(
    sock: &mut S,
    buf: &mut [u8],
) -> Option<io::Result<usize>> {
    poll_fn(|cx| {
        let mut rb = ReadBuf::new(buf);
        match Pin::new(&mut *sock).poll_read(cx, &mut rb) {
            Poll::Pending => Poll::Ready(None),
            Poll::Ready(r) => Poll::Ready(Some(r.map(|()| rb.filled().len()))),
        }
    })
    .await
}
