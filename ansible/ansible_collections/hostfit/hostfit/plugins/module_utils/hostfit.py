# -*- coding: utf-8 -*-
# SPDX-License-Identifier: MIT
# The one code path between Ansible and the hostfit binary: the module's
# options, the command line, running it, parsing its JSON, and turning
# hostfit's own error into a failure.  Each module keeps only what is its own.
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

COMMON_ARGS = dict(
    executable=dict(type='str', default='hostfit', aliases=['bin']),
    root=dict(type='path', default='/'),
    config=dict(type='path'),
    config_content=dict(type='str'),
)


def hostfit_module(spec):
    """The AnsibleModule of a hostfit module: its own options SPEC and the
    ones every module shares; check mode is always supported."""
    argument_spec = dict(COMMON_ARGS)
    argument_spec.update(spec)
    return AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)


def config_file(module):
    """The --config file: CONFIG, or CONFIG_CONTENT written to a private
    temporary file (so check mode plans with the configuration a role is
    about to write), or None for hostfit.conf under the root."""
    p = module.params
    if p.get('config_content') is None:
        return p.get('config')
    fd, path = tempfile.mkstemp(prefix='hostfit.', suffix='.conf', dir=module.tmpdir)
    with os.fdopen(fd, 'w') as f:
        f.write(p['config_content'])
    return path


def hostfit_argv(module, command, extra=None, checks=None):
    p = module.params
    argv = [p['executable']]
    conf = config_file(module)
    if conf:
        argv += ['--config', conf]
    argv += [command] if command == 'undo' else [command, '--format', 'json']
    if command not in ('incidents', 'undo', 'history') or p['root'] != '/':
        argv += ['--root', p['root']]
    if p.get('profile'):
        argv += ['--profile', p['profile']]
    argv += list(extra or [])
    if checks:
        argv += ['--'] + list(checks)
    return argv


def run_text(module, argv):
    """Run hostfit: (exit status, what it printed, the reason it gave: the
    last line of its standard error, or the exit status)."""
    rc, out, err = module.run_command(argv)
    lines = (err or '').strip().splitlines()
    return rc, out, lines[-1] if lines else 'exit status %d' % rc


def call_hostfit(module, argv):
    """Run hostfit: (exit status, its JSON or None, the reason it gave)."""
    rc, out, why = run_text(module, argv)
    try:
        data = json.loads(out)
    except ValueError:
        return rc, None, why
    if not isinstance(data, dict) or data.get('version') != 1:
        return rc, None, 'hostfit printed JSON of an unknown version'
    return rc, data, why


def run_hostfit(module, argv, ok_rcs):
    """Run hostfit; return (rc, the parsed JSON). Fail the task with hostfit's
    own message when it exits outside OK_RCS or prints no JSON."""
    rc, data, why = call_hostfit(module, argv)
    if rc not in ok_rcs or data is None:
        module.fail_json(msg=why, rc=rc, cmd=argv)
    return rc, data


def plan_diff(plan):
    """Ansible's diff list from a plan: each file's before and after."""
    diff = []
    for a in plan.get('actions', []):
        if a.get('kind') != 'write-file':
            continue
        diff.append(dict(before_header=a['path'], after_header=a['path'],
                         before=a.get('before') or '', after=a.get('after') or ''))
    return diff


def plan_changes(plan):
    """Actions that change the host now: not manual steps, not deferred ones."""
    return [a for a in plan.get('actions', [])
            if a.get('kind') != 'manual' and not a.get('deferred')]


def fix_results(applied):
    """What hostfit fix --yes ran, each with its outcome ("result"): its
    "results", or the actions of its report that carry an outcome."""
    if not applied:
        return []
    if isinstance(applied.get('results'), list):
        return applied['results']
    return [a for a in applied.get('actions', []) if 'result' in a or 'outcome' in a]


def runs(module, root):
    """hostfit history --format json: the run records, newest first."""
    argv = [module.params['executable'], 'history', '--format', 'json']
    if root != '/':
        argv += ['--root', root]
    _, data = run_hostfit(module, argv, (0,))
    return data.get('runs', [])
