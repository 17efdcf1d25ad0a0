"""Polling for what the broker does asynchronously (store writes, device
log lines, metrics): the one `wait_for` the integration tests share."""
import time


def wait_for(pred, timeout=10.0, step=0.05):
    """Calls `pred` until it returns something true (returned) or `timeout`
    seconds pass (then its last answer is returned)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()
