//! The server's connections: each TCP stream is wrapped so that a handler can have
//! it dropped part-way through the response it is about to send (the
//! [`crate::Fault::ResetMidBody`] fault).
//!
//! Dropping the connection in the transport rather than failing the response body
//! keeps the response itself well-formed (its `Content-Length` is the real body's),
//! and guarantees the head and the first bytes of the body reach the client before
//! the stream ends: hyper does not flush what it has buffered when a body fails.
//! Connections nobody arms cost one atomic load per write.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::lock::lock;

/// What a handler sees of its connection (as axum connect info).
#[derive(Debug, Clone, Default)]
pub(crate) struct Tap(Arc<CutState>);

impl Tap {
    /// Lets the next response head and `body_bytes` bytes of its body through, then
    /// shuts the connection down; later writes fail, so hyper drops it.
    pub(crate) fn drop_after_body_bytes(&self, body_bytes: usize) {
        *lock(&self.0.state) = Cut::Head {
            matched: 0,
            body: body_bytes,
        };
        self.0.armed.store(true, Ordering::Release);
    }
}

impl Connected<IncomingStream<'_, TapListener>> for Tap {
    fn connect_info(stream: IncomingStream<'_, TapListener>) -> Self {
        stream.remote_addr().clone()
    }
}

#[derive(Debug, Default)]
struct CutState {
    armed: AtomicBool,
    state: Mutex<Cut>,
}

/// Where an armed connection is.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// Not armed.
    #[default]
    Off,
    /// Writing the response head: `matched` bytes of `\r\n\r\n` seen so far; `body`
    /// bytes of body may follow it.
    Head { matched: usize, body: usize },
    /// Writing the body: `left` more bytes may go out.
    Body { left: usize },
    /// Shut down: every write fails.
    Dropped,
}

const HEAD_END: &[u8; 4] = b"\r\n\r\n";

/// The state of the `\r\n\r\n` matcher after `b`.
fn step(matched: usize, b: u8) -> usize {
    if b == HEAD_END[matched] {
        matched + 1
    } else {
        usize::from(b == b'\r')
    }
}

/// Where in `buf` the head ends (the index after `\r\n\r\n`), if it does.
fn head_end(mut matched: usize, buf: &[u8]) -> Option<usize> {
    for (i, &b) in buf.iter().enumerate() {
        matched = step(matched, b);
        if matched == HEAD_END.len() {
            return Some(i + 1);
        }
    }
    None
}

impl Cut {
    /// How many of `buf`'s bytes may go out.
    fn allowance(self, buf: &[u8]) -> usize {
        match self {
            Cut::Off => buf.len(),
            Cut::Head { matched, body } => head_end(matched, buf).map_or(buf.len(), |end| (end + body).min(buf.len())),
            Cut::Body { left } => left.min(buf.len()),
            Cut::Dropped => 0,
        }
    }

    /// The state after `written` went out.
    fn after(self, written: &[u8]) -> Cut {
        match self {
            Cut::Head { mut matched, body } => {
                for (i, &b) in written.iter().enumerate() {
                    matched = step(matched, b);
                    if matched == HEAD_END.len() {
                        let sent = written.len() - (i + 1);
                        return Cut::Body {
                            left: body.saturating_sub(sent),
                        };
                    }
                }
                Cut::Head { matched, body }
            }
            Cut::Body { left } => Cut::Body {
                left: left.saturating_sub(written.len()),
            },
            other => other,
        }
    }
}

/// A TCP listener whose connections can be dropped on request.
#[derive(Debug)]
pub(crate) struct TapListener(pub TcpListener);

impl Listener for TapListener {
    type Io = TapIo;
    type Addr = Tap;

    async fn accept(&mut self) -> (TapIo, Tap) {
        let (inner, _peer) = <TcpListener as Listener>::accept(&mut self.0).await;
        let tap = Tap::default();
        let io = TapIo {
            inner,
            cut: Arc::clone(&tap.0),
        };
        (io, tap)
    }

    fn local_addr(&self) -> io::Result<Tap> {
        self.0.local_addr().map(|_| Tap::default())
    }
}

/// A TCP stream that obeys its [`Tap`].
#[derive(Debug)]
pub(crate) struct TapIo {
    inner: TcpStream,
    cut: Arc<CutState>,
}

fn dropped() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        "kustomer-sim dropped the connection (ResetMidBody fault)",
    )
}

impl TapIo {
    /// A write on an armed connection.
    fn poll_write_cut(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let mut state = lock(&self.cut.state);
        let allowed = state.allowance(buf);
        if allowed == 0 {
            *state = Cut::Dropped;
            let _ = Pin::new(&mut self.inner).poll_shutdown(cx);
            return Poll::Ready(Err(dropped()));
        }
        let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &buf[..allowed]))?;
        *state = state.after(&buf[..n]);
        if *state == (Cut::Body { left: 0 }) {
            // Everything allowed is out: end the stream now, so the client sees it end
            // even if nothing more is written.
            *state = Cut::Dropped;
            let _ = Pin::new(&mut self.inner).poll_shutdown(cx);
        }
        Poll::Ready(Ok(n))
    }

    fn armed(&self) -> bool {
        self.cut.armed.load(Ordering::Acquire)
    }
}

impl AsyncRead for TapIo {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for TapIo {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.armed() {
            this.poll_write_cut(cx, buf)
        } else {
            Pin::new(&mut this.inner).poll_write(cx, buf)
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.armed() {
            let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| &b[..]);
            this.poll_write_cut(cx, first)
        } else {
            Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lets_the_head_and_part_of_the_body_through() {
        let head = b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n";
        let cut = Cut::Head { matched: 0, body: 4 };
        let mut msg = head.to_vec();
        msg.extend_from_slice(b"0123456789");
        assert_eq!(cut.allowance(&msg), head.len() + 4);
        // Split inside the `\r\n\r\n`.
        let split = head.len() - 2;
        let cut = cut.after(&msg[..split]);
        assert_eq!(cut, Cut::Head { matched: 2, body: 4 });
        assert_eq!(cut.allowance(&msg[split..]), 2 + 4);
        assert_eq!(cut.after(&msg[split..split + 3]), Cut::Body { left: 3 });
        assert_eq!(Cut::Body { left: 3 }.allowance(b"456789"), 3);
        assert_eq!(Cut::Dropped.allowance(b"x"), 0);
        assert_eq!(head_end(0, b"a\r\r\n\r\nb"), Some(6));
    }
}
