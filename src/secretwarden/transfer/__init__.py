"""Moving values into and between stores: `warden import` and `warden migrate`.

Both sit above `ops/`: they read values from somewhere (files, another
manager, another store), map them onto contract slots, and write them through
the same audited paths `set` uses. Neither ever prints a value.
"""
