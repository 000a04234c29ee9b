"""The exit statuses every command keeps to, so scripts can tell the cases apart.

===  ======================================================================================
 0   done, and nothing needs attention (no difference, every row published, all compatible)
 1   done, and something needs attention: differences (``policy diff --exit-code``, ``topics
     plan``, ``acls plan``), rejected rows, incompatible schemas, a ledger that does not
     verify, dead letters still invalid, no broker answering (``status``)
 2   not done: a usage error, an unknown name (event type, partner, agency, field...), a file
     or mapping that cannot be used, no credentials or no connection to Kafka
===  ======================================================================================
"""

from __future__ import annotations

OK = 0
ATTENTION = 1
NOT_DONE = 2
