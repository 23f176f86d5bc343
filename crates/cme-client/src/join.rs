//! Several futures awaited together on the current task, their answers in
//! the order given, whatever order they finish in. No spawning: the futures
//! may borrow (a client, a progress display that is not `Send`), and the
//! client's limiter already bounds how many requests are in flight.
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

/// A boxed future borrowing for `'a`, as [`join_all`] takes them.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Awaits every future concurrently; the answers come in the order of
/// `futures`, so callers merge them deterministically.
pub async fn join_all<'a, T>(futures: Vec<BoxFuture<'a, T>>) -> Vec<T> {
    let mut slots: Vec<(Option<BoxFuture<'a, T>>, Option<T>)> =
        futures.into_iter().map(|f| (Some(f), None)).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, answer) in &mut slots {
            if let Some(f) = future {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => {
                        *answer = Some(v);
                        *future = None;
                    }
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    slots.into_iter().filter_map(|(_, a)| a).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn answers_keep_the_order_given_not_the_order_finished() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let finished = std::sync::Mutex::new(Vec::new());
        let out = rt.block_on(join_all(
            [30u64, 10, 20]
                .into_iter()
                .map(|ms| -> BoxFuture<'_, u64> {
                    let finished = &finished;
                    Box::pin(async move {
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                        finished.lock().unwrap().push(ms);
                        ms
                    })
                })
                .collect(),
        ));
        assert_eq!(out, [30, 10, 20]);
        // They ran together: the shortest finished first.
        assert_eq!(*finished.lock().unwrap(), [10, 20, 30]);
    }
}
