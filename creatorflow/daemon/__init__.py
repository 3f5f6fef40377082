"""The daemon: ``creatorflow daemon run`` keeps orders flowing on an unattended packing PC.

``lock`` keeps it to one instance per state folder, ``jobs`` lists what it does, ``scheduler``
is the clock (APScheduler 3.11, jobs added in code; all durable state is in our own tables),
``log`` writes its rotating log file. It calls the use cases in ``creatorflow.services`` only.
"""
