"""The parts of ``harness load`` that never import Locust.

- :mod:`harness.load.pool`: calls generated ahead of the test, handed out one by one;
- :mod:`harness.load.tally`: what each worker sent and got acknowledged, merged by the master;
- :mod:`harness.load.reconcile`: acknowledged events against the receiver's state probe;
- :mod:`harness.load.report`: the end-of-run report and its verdict;
- :mod:`harness.load.settings`: the options and their bounds;
- :mod:`harness.load.cluster`: Locust's master and workers as subprocesses.

The Locust user class lives in :mod:`harness.locust`, imported only inside Locust's own processes.
"""
