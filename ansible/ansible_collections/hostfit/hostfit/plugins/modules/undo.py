#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: MIT
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: undo
short_description: Take back a run of hostfit fix
description:
  - Takes back one run of C(hostfit fix) from its run record with
    C(hostfit undo STAMP --yes) (files it replaced come back from their
    backups, files it created are removed, units it enabled are disabled),
    the way M(hostfit.hostfit.fix) is taken back.
  - Without O(stamp), the newest fix run that is not undone yet; when there is
    none, or O(stamp) is undone already, nothing changes.
  - In check mode, C(hostfit undo --dry-run) shows what would change, as the
    diff with C(--diff).
  - The task fails with hostfit's message when hostfit refuses (a file changed
    since the run, without O(force)) or an action fails.
version_added: 0.2.0
options:
  stamp:
    description: The run to take back, as C(hostfit history) shows it (C(20261206T082342Z)).
    type: str
  force:
    description: Take back files changed since the run as well.
    type: bool
    default: false
  root:
    description: The root whose run to take back (an image); C(/) is the running system.
    type: path
    default: /
extends_documentation_fragment:
  - hostfit.hostfit.common
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Runs C(hostfit undo --dry-run), which writes nothing.
  diff_mode:
    support: full
    details: The dry run's diffs, as hostfit prints them.
  platform:
    platforms: posix
seealso:
  - module: hostfit.hostfit.fix
author: the hostfit authors (@hostfit)
'''

EXAMPLES = r'''
- name: Take back the last fix
  hostfit.hostfit.undo:

- name: Take back the run a fix task reported
  hostfit.hostfit.undo:
    stamp: "{{ fixed.stamp }}"
'''

RETURN = r'''
stamp:
  description: The run taken back (or that would be, in check mode); null when there was none to take back.
  returned: always
  type: str
  sample: 20261206T082342Z
undo_stamp:
  description: The run record of the undo itself; null in check mode and when nothing changed.
  returned: always
  type: str
  sample: 20261206T091500Z
run:
  description: The undo's run record (C(hostfit history STAMP --format json)), each action with its outcome.
  returned: changed and not check mode
  type: dict
  sample:
    version: 1
    stamp: 20261206T091500Z
    kind: undo
    undoes: 20261206T082342Z
    actions:
      - check: swap-missing
        kind: write-file
        outcome: applied
        path: /etc/fstab
'''

from ansible_collections.hostfit.hostfit.plugins.module_utils.hostfit import (
    hostfit_argv, hostfit_module, run_hostfit, run_text, runs)


def target(module, records):
    """The fix run to take back, or None when there is nothing to do."""
    stamp = module.params['stamp']
    for r in records:
        if r.get('kind') != 'fix':
            continue
        if stamp and r.get('stamp') != stamp:
            continue
        if r.get('undone_by'):
            if stamp:
                return None
            continue
        return r.get('stamp')
    if stamp:
        module.fail_json(msg='no fix run %s in hostfit history' % stamp)
    return None


def main():
    module = hostfit_module(dict(stamp=dict(type='str'), force=dict(type='bool', default=False)))
    p = module.params
    before = runs(module, p['root'])
    stamp = target(module, before)
    result = dict(changed=False, stamp=stamp, undo_stamp=None)
    if not stamp:
        module.exit_json(**result)
    extra = [stamp, '--force'] if p['force'] else [stamp]
    if module.check_mode:
        argv = hostfit_argv(module, 'undo', extra + ['--dry-run'])
        rc, out, why = run_text(module, argv)
        if rc != 0:
            module.fail_json(msg=why, rc=rc, cmd=argv, **result)
        if module._diff:
            result['diff'] = dict(prepared=out)
        module.exit_json(**dict(result, changed=True))
    argv = hostfit_argv(module, 'undo', extra + ['--yes'])
    rc, out, why = run_text(module, argv)
    known = set(r.get('stamp') for r in before)
    new = [r for r in runs(module, p['root']) if r.get('stamp') not in known and r.get('undoes') == stamp]
    if new:
        result.update(changed=True, undo_stamp=new[0].get('stamp'))
        _, result['run'] = run_hostfit(module, hostfit_argv(module, 'history', [new[0]['stamp']]), (0,))
    if module._diff:
        result['diff'] = dict(prepared=out)
    if rc != 0:
        module.fail_json(msg=why, rc=rc, cmd=argv, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
