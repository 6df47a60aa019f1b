#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: MIT
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: fix
short_description: Apply hostfit's fixes, or show them in check mode
description:
  - In check mode, plans the fixes with C(hostfit fix --dry-run --format json)
    and changes nothing. Otherwise it applies them with
    C(hostfit fix --yes --format json) and returns what that run did, action by
    action, with its outcome.
  - With C(--diff), each file the plan writes is returned with its content
    before and after (the plan is made just before applying).
  - C(changed) is true only when an action was applied; in check mode, when
    the plan holds an action that would change the host now. Manual steps and
    steps deferred to boot change nothing yet.
  - The task fails with hostfit's message when it cannot plan or an action fails.
  - Each applied run leaves a run record on the host; M(hostfit.hostfit.undo) takes it back.
version_added: 0.1.0
options:
  checks:
    description: The checks whose fixes to apply (see C(hostfit list)); all when empty.
    type: list
    elements: str
    default: []
  root:
    description: The root to fix (an image, whose runtime steps are deferred to its boot); C(/) is the running system.
    type: path
    default: /
extends_documentation_fragment:
  - hostfit.hostfit.common
  - hostfit.hostfit.common.CHECKS
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Plans with C(--dry-run), which writes nothing.
  diff_mode:
    support: full
    details: The before and after of every file the plan writes.
  platform:
    platforms: posix
seealso:
  - module: hostfit.hostfit.check
  - module: hostfit.hostfit.undo
author: the hostfit authors (@hostfit)
'''

EXAMPLES = r'''
- name: Swap and compressed swap on every host
  hostfit.hostfit.fix:
    checks: [swap-missing, zram-missing]
  register: fixed

- name: What was applied
  ansible.builtin.debug:
    msg: "{{ fixed.results | selectattr('result', 'equalto', 'applied') | map(attribute='action') | list }}"
'''

RETURN = r'''
actions:
  description:
    - In check mode, the planned actions (docs/hostfit-fix.schema.json in hostfit).
    - Otherwise what C(hostfit fix --yes) ran, each with its outcome; the same list as RV(results).
  returned: always
  type: list
  elements: dict
  sample:
    - check: swap-missing
      kind: write-file
      path: /etc/fstab
      action: write /etc/fstab
      result: applied
      error: null
results:
  description:
    - Each action C(hostfit fix --yes) ran, with its outcome in C(result)
      (applied, deferred, manual, failed, skipped); empty in check mode.
  returned: always
  type: list
  elements: dict
  sample:
    - check: swap-missing
      kind: swapfile
      path: /swapfile
      action: "swapfile /swapfile: create 2.0 GiB, mode 0600, swap signature"
      result: applied
      error: null
    - check: swap-missing
      kind: swapon
      path: /swapfile
      action: swapon /swapfile
      result: applied
      error: null
stamp:
  description: The run record of what was applied (C(hostfit history)), for M(hostfit.hostfit.undo).
  returned: changed and not check mode
  type: str
  sample: 20261206T082342Z
'''

from ansible_collections.hostfit.hostfit.plugins.module_utils.hostfit import (
    call_hostfit, fix_results, hostfit_argv, hostfit_module, plan_changes, plan_diff, run_hostfit, runs)


def main():
    module = hostfit_module(dict(checks=dict(type='list', elements='str', default=[]),
                                 profile=dict(type='str', choices=['production', 'development'])))
    checks = module.params['checks']
    result = dict(actions=[], results=[])
    if module.check_mode or module._diff:
        _, plan = run_hostfit(module, hostfit_argv(module, 'fix', ['--dry-run'], checks), (0,))
        if module._diff:
            result['diff'] = plan_diff(plan)
        if module.check_mode or not plan.get('actions'):
            result['actions'] = plan.get('actions', []) if module.check_mode else []
            module.exit_json(changed=bool(plan_changes(plan)) and module.check_mode, **result)
    argv = hostfit_argv(module, 'fix', ['--yes'], checks)
    rc, applied, why = call_hostfit(module, argv)
    result['results'] = fix_results(applied)
    result['actions'] = list(result['results'])
    changed = any(r.get('result', r.get('outcome')) == 'applied' for r in result['results'])
    if rc != 0 or applied is None:
        failed = [r for r in result['results'] if r.get('result', r.get('outcome')) == 'failed']
        module.fail_json(msg=(failed[0].get('error') if failed else None) or why,
                         rc=rc, cmd=argv, changed=changed, **result)
    if changed:
        result['stamp'] = next((r.get('stamp') for r in runs(module, module.params['root'])
                                if r.get('kind') == 'fix'), None)
    module.exit_json(changed=changed, **result)


if __name__ == '__main__':
    main()
