#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: MIT
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: incidents
short_description: Read who was killed for memory, by whom, and whether it came back
description:
  - Runs C(hostfit incidents --format json) on the managed host and returns
    its incidents. It never changes anything.
  - The task fails when the journal cannot be read (exit status 3).
options:
  since:
    description: Start of the window, as hostfit takes it (C(2024-05-01 10:00), C(-2h), C(-7d)).
    type: str
  until:
    description: End of the window.
    type: str
  boot:
    description: Only this boot.
    type: bool
    default: false
  unit:
    description: Only this unit.
    type: str
  root:
    description: Read the journal of the OS tree under this directory.
    type: path
    default: /
extends_documentation_fragment:
  - hostfit.hostfit.common
  - hostfit.hostfit.common.READ_ONLY
  - ansible.builtin.action_common_attributes
seealso:
  - module: hostfit.hostfit.check
author: the hostfit authors (@hostfit)
'''

EXAMPLES = r'''
- name: What killed it last night
  hostfit.hostfit.incidents:
    since: -1d
  register: kills
'''

RETURN = r'''
incidents:
  description: The incidents (docs/hostfit-incidents.schema.json), oldest first.
  returned: always
  type: list
  elements: dict
  sample:
    - kind: kill
      time: '2026-12-05T23:14:02Z'
      last_time: '2026-12-05T23:14:02Z'
      killer: kernel
      pid: 4121
      comm: node
      uid: 1000
      unit: app.service
      cgroup: /system.slice/app.service
      rss_bytes: 1288490188
      limit_bytes: null
      limit: null
      restarts: 1
      outcome: restarted
      prevent: unit-memorymax
      advice: null
      peak_bytes: null
'''

from ansible_collections.hostfit.hostfit.plugins.module_utils.hostfit import (
    hostfit_argv, hostfit_module, run_hostfit)


def main():
    module = hostfit_module(dict(since=dict(type='str'), until=dict(type='str'),
                                 boot=dict(type='bool', default=False), unit=dict(type='str')))
    p = module.params
    extra = []
    for opt in ('since', 'until', 'unit'):
        if p[opt]:
            extra += ['--' + opt, p[opt]]
    if p['boot']:
        extra.append('--boot')
    rc, data = run_hostfit(module, hostfit_argv(module, 'incidents', extra), (0, 1))
    module.exit_json(changed=False, incidents=data.get('incidents', []))


if __name__ == '__main__':
    main()
