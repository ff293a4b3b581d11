"""bench/inprocess.py: the instructions of a callgrind profile shared out between libraries."""
from bench.inprocess import self_costs

# A profile as callgrind writes one with --compress-strings=no, cut down: python calls
# into numpy, and numpy into the C library.
PROFILE = """# callgrind format
version: 1
part: 2
positions: line
events: Ir
summary: 1000

ob=/usr/lib/libpython3.11.so
fl=ceval.c
fn=_PyEval_EvalFrameDefault
10 300
+2 100
cob=/site-packages/numpy/_multiarray_umath.so
cfi=multiarray.c
cfn=array_new
calls=1 20
* 550
-1 50

ob=/site-packages/numpy/_multiarray_umath.so
fl=multiarray.c
fn=array_new
20 400
cob=/usr/lib/libc.so.6
cfn=malloc
calls=2 0
* 150

ob=/usr/lib/libc.so.6
fl=malloc.c
fn=malloc
0 150
"""


def test_each_library_is_given_what_was_spent_in_it_and_not_what_its_calls_cost():
    costs = self_costs(PROFILE)
    assert costs == {"/usr/lib/libpython3.11.so": 450, "/site-packages/numpy/_multiarray_umath.so": 400,
                     "/usr/lib/libc.so.6": 150}
    assert sum(costs.values()) == 1000  # the profile's summary: every instruction counted once
