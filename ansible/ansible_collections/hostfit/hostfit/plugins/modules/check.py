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
  - The task fails when hostfit could not run (exit status 3), and, with
    O(fail_on), when the worst finding is at least that bad.
version_added: 0.1.0
options:
  checks:
    description: Check ids to run (see C(hostfit list)); all when empty.
    type: list
    elements: str
    default: []
  root:
    description: The root directory to read (a mounted image); C(/) is the running system.
    type: path
    default: /
  fail_on:
    description:
      - Fail the task when the worst status is this bad or worse; C(never)
        returns every report as data, as a monitoring run wants.
      - C(fail) fails on a failing check, C(warn) on a warning or a failing check.
    type: str
    choices: [never, fail, warn]
    default: never
extends_documentation_fragment:
  - hostfit.hostfit.common
  - hostfit.hostfit.common.CHECKS
  - hostfit.hostfit.common.READ_ONLY
  - ansible.builtin.action_common_attributes
seealso:
  - module: hostfit.hostfit.fix
author: the hostfit authors (@hostfit)
'''

EXAMPLES = r'''
- name: What is wrong on this host
  hostfit.hostfit.check:
  register: report

- name: Show the summary
  ansible.builtin.debug:
    msg: "{{ report.report.summary }}"

- name: Stop the play on a host whose swap or limits fail
  hostfit.hostfit.check:
    checks: [swap-missing, unit-memorymax]
    fail_on: fail
'''

RETURN = r'''
report:
  description: The JSON report of hostfit check (docs/hostfit-check.schema.json in hostfit).
  returned: always
  type: dict
  sample:
    version: 1
    hostfit_version: 0.2.0
    hostname: web-1
    time: '2026-12-06T08:25:01Z'
    root: /
    profile: production
    summary: {pass: 7, warn: 0, fail: 1, skip: 4, error: 0, ignored: 1}
    checks:
      - id: swap-missing
        status: fail
        severity: high
        title: Disk-backed swap is active and comes back at boot
        findings:
          - subject: swap
            status: fail
            message: no swap; 23.5 GiB RAM, 0 B swap
            fix: hostfit fix swap-missing
            details: []
      - id: zram-missing
        status: ignored
        severity: medium
        title: Compressed swap in RAM (zram) is active
        findings:
          - subject: zram
            status: ignored
            message: no zram swap; 23.5 GiB RAM would gain up to 4 GiB of compressed swap
            fix: null
            ignored: {reason: swap on disk is enough here, until: '2027-06-30'}
            details: []
status:
  description: The exit status of hostfit check; 0 all pass or skip, 1 the worst is a warning, 2 a check fails.
  returned: always
  type: int
  sample: 2
'''

from ansible_collections.hostfit.hostfit.plugins.module_utils.hostfit import (
    hostfit_argv, hostfit_module, run_hostfit)

# The lowest exit status of hostfit check that fails the task, by fail_on.
FAIL_AT = dict(never=None, fail=2, warn=1)


def main():
    module = hostfit_module(dict(checks=dict(type='list', elements='str', default=[]),
                                 profile=dict(type='str', choices=['production', 'development']),
                                 fail_on=dict(type='str', choices=list(FAIL_AT), default='never')))
    rc, report = run_hostfit(module, hostfit_argv(module, 'check', checks=module.params['checks']), (0, 1, 2))
    at = FAIL_AT[module.params['fail_on']]
    if at is not None and rc >= at:
        bad = [c.get('id') for c in report.get('checks', [])
               if c.get('status') in (('fail',) if at == 2 else ('fail', 'warn'))]
        module.fail_json(msg='hostfit check: %s %s' % ('failing:' if at == 2 else 'not passing:', ', '.join(bad)),
                         changed=False, report=report, status=rc)
    module.exit_json(changed=False, report=report, status=rc)


if __name__ == '__main__':
    main()
