#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: MIT
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: fix
short_description: Apply hostfit's fixes, or show them in check mode
description:
  - Plans the fixes with C(hostfit fix --dry-run --format json); in check mode
    that is all, and nothing changes. Otherwise it applies them with
    C(hostfit fix --yes --format json).
  - With C(--diff), each file the plan writes is returned with its content
    before and after.
  - C(changed) is true only when an action was applied; in check mode, when
    the plan holds an action that would change the host now. Manual steps and
    steps deferred to boot change nothing yet.
  - The task fails with hostfit's message when it cannot plan or an action fails.
options:
  checks:
    description: The checks whose fixes to apply; all when empty.
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
author: the hostfit authors
'''

EXAMPLES = r'''
- name: Swap and compressed swap on every host
  hostfit.hostfit.fix:
    checks: [swap-missing, zram-missing]
'''

RETURN = r'''
actions:
  description: The planned actions (docs/hostfit-fix.schema.json).
  returned: always
  type: list
  elements: dict
results:
  description: Each action run, with its outcome (applied, deferred, manual, failed, skipped); empty in check mode.
  returned: always
  type: list
  elements: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hostfit.hostfit.plugins.module_utils.hostfit import (
    COMMON_ARGS, call_hostfit, hostfit_argv, plan_changes, plan_diff, run_hostfit)


def main():
    spec = dict(checks=dict(type='list', elements='str', default=[]),
                profile=dict(type='str', choices=['production', 'development']))
    spec.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    checks = module.params['checks']
    _, plan = run_hostfit(module, hostfit_argv(module, 'fix', ['--dry-run'], checks), (0,))
    result = dict(actions=plan.get('actions', []), results=[])
    if module._diff:
        result['diff'] = plan_diff(plan)
    if module.check_mode or not plan.get('actions'):
        module.exit_json(changed=bool(plan_changes(plan)), **result)
    argv = hostfit_argv(module, 'fix', ['--yes'], checks)
    rc, applied, why = call_hostfit(module, argv)
    result['results'] = (applied or {}).get('results', [])
    changed = any(r.get('result') == 'applied' for r in result['results'])
    if rc != 0 or applied is None:
        failed = [r for r in result['results'] if r.get('result') == 'failed']
        module.fail_json(msg=(failed[0].get('error') if failed else None) or why,
                         rc=rc, cmd=argv, changed=changed, **result)
    module.exit_json(changed=changed, **result)

if __name__ == '__main__':
    main()
