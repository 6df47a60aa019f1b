#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: MIT
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: check
short_description: Run hostfit check and return its report
description:
  - Runs C(hostfit check --format json) on the managed host and returns the
    report as data. It never changes anything, in check mode or not.
  - The task fails only when hostfit could not run (exit status 3); findings
    are data, not failures.
options:
  checks:
    description: Check ids to run; all when empty.
    type: list
    elements: str
    default: []
  root:
    description: The root directory to read (a mounted image); C(/) is the running system.
    type: path
    default: /
extends_documentation_fragment:
  - hostfit.hostfit.common
  - hostfit.hostfit.common.CHECKS
author: the hostfit authors
'''

EXAMPLES = r'''
- name: What is wrong on this host
  hostfit.hostfit.check:
  register: report
- ansible.builtin.debug:
    msg: "{{ report.report.summary }}"
'''

RETURN = r'''
report:
  description: The JSON report of hostfit check (docs/hostfit-check.schema.json).
  returned: always
  type: dict
status:
  description: The exit status of hostfit check; 0 pass, 1 warn, 2 fail.
  returned: always
  type: int
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hostfit.hostfit.plugins.module_utils.hostfit import (
    COMMON_ARGS, hostfit_argv, run_hostfit)


def main():
    spec = dict(checks=dict(type='list', elements='str', default=[]),
                profile=dict(type='str', choices=['production', 'development']))
    spec.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    rc, report = run_hostfit(module, hostfit_argv(module, 'check', checks=module.params['checks']), (0, 1, 2))
    module.exit_json(changed=False, report=report, status=rc)


if __name__ == '__main__':
    main()
