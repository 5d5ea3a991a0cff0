# -*- coding: utf-8 -*-
"""What does a connector cost a task? Ratios against the option validation every task already pays.

Both are measured in this run, on the controller, without any network:

  baseline   the spec validation of the action plugin (plugin_utils/_task_args.validate) on the
             full options of one message
  plain      resolving a connector profile without templates (plugin_utils/_connectors.apply)
  template   the same profile with its password as "{{ pw }}": Ansible's templating of that value

Usage: python benchmarks/connectors.py [--smoke] [--rounds N]
Needs the collection on ANSIBLE_COLLECTIONS_PATH (or run from the repo: build/collections is made).
"""

from __future__ import annotations

import argparse
import timeit

from _common import collections_path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few rounds only: does it run, are ratios sane")
    parser.add_argument("--rounds", type=int, default=300)
    opts = parser.parse_args()
    rounds, repeat = (20, 2) if opts.smoke else (opts.rounds, 7)
    collections_path()
    # pylint: disable=import-outside-toplevel
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar

    from ansible_collections.flint.smtp.plugins.plugin_utils._connectors import apply
    from ansible_collections.flint.smtp.plugins.plugin_utils._task_args import validate

    try:
        from ansible.template import trust_as_template as trusted
    except ImportError:  # ansible-core < 2.19: strings are templates already

        def trusted(text):
            return text

    def per_call(func):
        return min(timeit.repeat(func, number=rounds, repeat=repeat)) / rounds * 1e6

    plain = {"target": "mail.example.com", "username": "u", "password": "secret", "from": "a@example.com"}
    baseline = per_call(lambda: validate(dict(plain, to="b@example.com")))
    print("flint.smtp connector benchmark (%s; rounds=%d)" % ("smoke" if opts.smoke else "full", rounds))
    print("%-28s %9.1f us  1.00x" % ("baseline: spec validation", baseline))
    for label, profile in (("plain profile", plain), ("profile with one template", dict(plain, password=trusted("{{ pw }}")))):
        task_vars = {"flint_smtp_connectors": {"o": profile}, "pw": "secret"}
        templar = Templar(loader=DataLoader(), variables=task_vars)
        args, _info, error = apply({"connector_name": "o", "to": "b@example.com"}, task_vars, templar, {})
        assert error is None and args["password"] == "secret", error
        cost = per_call(lambda: apply({"connector_name": "o", "to": "b@example.com"}, task_vars, templar, {}))
        print("%-28s %9.1f us  %.2fx" % (label, cost, cost / baseline))


if __name__ == "__main__":
    main()
