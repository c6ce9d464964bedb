"""The fast paths fall back cleanly: a torch.compile that fails, a device without fast bf16.

Notebook 04b checks that the fast paths are exact enough where they run; these tests check what
happens where they cannot: the trainer and `log_likelihood` must warn, carry on uncompiled and give
the uncompiled result, and 'auto' precision must mean float32 on a device without fast bf16. And
compiled code (`log_likelihood`'s, each trainer's loss) must keep to a dynamo cache of its own: leaving
other compiled code compiled, and never running uncompiled because other models used up the
recompile limit.
"""
import warnings

import pytest
import torch

import vae_course.iwae as iwae
import vae_course.train as train
from vae_course.models import build_vae
from vae_course.train import TrainConfig, Trainer, fast_bf16, resolve_precision

RECOMPILE_LIMIT = torch._dynamo.config.recompile_limit   # as this process started


def _failing_compile(fn, **kw):
    "Stands in for torch.compile on a machine where compiling fails at the first call."
    def compiled(*a, **k): raise RuntimeError("no C++ compiler found (simulated)")
    return compiled


def _data(n: int = 512) -> tuple[torch.Tensor, None]:
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (n, 28, 28), dtype=torch.uint8, generator=g), None


def _weights(t: Trainer) -> list[torch.Tensor]:
    return [p.detach().clone() for p in t.model.parameters()]


def test_trainer_falls_back_when_compile_fails(monkeypatch):
    cfg = TrainConfig(epochs=2, validation=False, precision="fp32", compile="off", seed=3)
    eager = Trainer(cfg, progress=False, data=_data()); eager.fit()
    monkeypatch.setattr(train, "_compiled", lambda loss, device="cpu": _failing_compile(loss))
    t = Trainer(TrainConfig(**{**cfg.__dict__, "compile": "on"}), progress=False, data=_data())
    assert t.compiled
    with pytest.warns(UserWarning, match="torch.compile of the training loss failed"):
        t.fit()
    assert not t.compiled                                       # warned once, then trained uncompiled
    assert all(torch.equal(a, b) for a, b in zip(_weights(eager), _weights(t)))   # the same run, bit for bit


def test_compile_auto_decides_from_the_config():
    short = Trainer(TrainConfig(epochs=1, validation=False), progress=False, data=_data())        # 4 steps
    assert not short.compiled
    long = Trainer(TrainConfig(epochs=500, validation=False), progress=False, data=_data())       # 2,000 steps
    assert long.compiled and long.epoch == 0
    assert not Trainer(TrainConfig(epochs=500, validation=False, compile="off"), progress=False, data=_data()).compiled
    with pytest.raises(ValueError, match="compile must be 'auto', 'on' or 'off'"):
        TrainConfig(compile="yes")


def test_auto_precision_is_fp32_without_fast_bf16():
    assert not fast_bf16("meta")
    assert resolve_precision("auto", "meta") == "fp32"
    assert resolve_precision("bf16", "meta") == "bf16"          # asked for explicitly: as asked
    assert resolve_precision("auto") == ("bf16" if fast_bf16() else "fp32")
    with pytest.raises(ValueError, match="precision must be one of auto, fp32, bf16"):
        resolve_precision("fp16")


def test_log_likelihood_falls_back_when_compile_fails(monkeypatch):
    torch.manual_seed(0)
    model = build_vae("burda")
    x = (torch.rand(30, 784, generator=torch.Generator().manual_seed(1)) < 0.3).float()
    ref = iwae.log_likelihood(model, x, k=20, seed=2, compile=False, progress=False)
    monkeypatch.setattr(iwae.torch, "compile", _failing_compile)
    with pytest.warns(UserWarning, match="torch.compile failed"):
        got = iwae.log_likelihood(model, x, k=20, seed=2, compile=True, progress=False)
    assert torch.equal(ref.log_px, got.log_px) and torch.equal(ref.se, got.se)


def test_compiled_bernoulli_is_fused_and_exact(monkeypatch):
    "Inside torch.compile, bernoulli_log_prob_fused takes the hand-written gradient (03) and matches autograd's."
    import vae_course.likelihoods as L
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(6, 784, generator=g) < 0.3).float()
    logits = 5 * torch.randn(3, 6, 784, generator=g)
    w = torch.randn(3, 6, generator=g)

    def grads(fn):
        l = logits.clone().requires_grad_()
        return torch.autograd.grad((w * fn(x, l)).sum(), l)[0]

    ref = grads(L.bernoulli_log_prob)
    assert torch.equal(grads(L.bernoulli_log_prob_fused), ref)                    # eager: autograd's own backward
    torch._dynamo.reset()
    torch.testing.assert_close(grads(torch.compile(L.bernoulli_log_prob_fused)), ref, rtol=0, atol=1e-5)
    backward = L._BernoulliLogProb.backward                                         # a wrong hand-written gradient ...
    monkeypatch.setattr(L._BernoulliLogProb, "backward", staticmethod(lambda ctx, *gs: tuple(
        None if t is None else 2 * t for t in backward(ctx, *gs))))
    torch._dynamo.reset()
    torch.testing.assert_close(grads(torch.compile(L.bernoulli_log_prob_fused)), 2 * ref, rtol=0, atol=2e-5)   # ... is what compiled code uses


def _graphs() -> int:
    "Graphs dynamo has compiled in this process so far."
    from torch._dynamo.utils import counters
    return counters["stats"]["unique_graphs"]


def test_compiled_log_likelihood_leaves_other_compiled_code_alone():
    "An evaluation on the compiled path must not drop the graphs of other compiled code, e.g. a trainer's loss."
    other = torch.compile(lambda a: torch.tanh(a) * 2)
    a = torch.randn(8)
    other(a)
    torch.manual_seed(0)
    x = (torch.rand(10, 784, generator=torch.Generator().manual_seed(1)) < 0.3).float()
    iwae.log_likelihood(build_vae("burda"), x, k=20, compile=True, progress=False)
    n = _graphs()
    other(a)
    assert _graphs() == n, "the other compiled function was compiled again after log_likelihood"


@torch._dynamo.config.patch(recompile_limit=2)        # (pytest's monkeypatch would delete the setting on undo)
def test_compiled_log_likelihood_compiles_every_call_within_the_recompile_limit():
    "Every call compiles in a cache of its own: earlier calls on other models cannot use up dynamo's recompile limit."
    x = (torch.rand(10, 784, generator=torch.Generator().manual_seed(1)) < 0.3).float()
    for i, arch in enumerate(["burda", "mlp", "burda", "mlp"]):
        torch.manual_seed(i)
        model = build_vae(arch)
        n = _graphs()
        got = iwae.log_likelihood(model, x, k=20, seed=2, compile=True, precision="fp32", progress=False)
        assert torch._dynamo.config.recompile_limit == 2
        assert _graphs() == n + 1, f"call {i + 1} did not compile (past the recompile limit it runs uncompiled)"
        ref = iwae.log_likelihood(model, x, k=20, seed=2, compile=False, precision="fp32", progress=False)
        torch.testing.assert_close(got.log_px, ref.log_px, rtol=0, atol=1e-3)


@torch._dynamo.config.patch(recompile_limit=2)
def test_each_trainer_compiles_in_a_cache_of_its_own():
    "Trainers of other configurations in the same process cannot use up dynamo's recompile limit for the next one."
    data = _data(300)                                   # two full batches of 128 and one of 44: two graphs a trainer
    for arch in ["mlp", "burda", "mlp"]:
        n = _graphs()
        t = Trainer(TrainConfig(arch=arch, epochs=1, validation=False, compile="on", precision="fp32"),
                    progress=False, data=data)
        t.fit()
        assert t.compiled and _graphs() == n + 2, f"{arch}: {_graphs() - n} graphs compiled, not 2 (full and last batch)"


def test_own_cache_copies_any_callable():
    "A loss given as another callable (a partial, an object with __call__) is wrapped, then copied, and still compiles."
    import functools
    from vae_course.train import _own_cache

    def f(a, scale, *, shift=0.0): return torch.tanh(a) * scale + shift

    class Scaled:
        def __call__(self, a): return f(a, 3.0)

    a = torch.randn(16)
    for fn, ref in [(f, f(a, 2.0, shift=1.0)), (functools.partial(f, scale=2.0, shift=1.0), f(a, 2.0, shift=1.0)),
                    (Scaled(), f(a, 3.0))]:
        copy = _own_cache(fn)
        assert copy is not fn and (not hasattr(fn, "__code__") or copy.__code__ is not fn.__code__)
        args = (a, 2.0) if fn is f else (a,)
        kw = {"shift": 1.0} if fn is f else {}
        torch.testing.assert_close(torch.compile(copy)(*args, **kw), ref)


def test_onednn_decoder_copies_or_declines():
    "oneDNN's products (log_likelihood's compiled float32 path) in a copy, never in the model; the model itself where they cannot be."
    torch.manual_seed(0)
    model = build_vae("burda").eval()
    z = torch.randn(7, 3, 50)
    with torch.no_grad(): ref = model.decode(z)
    fast = iwae._onednn_decoder(model)
    assert fast is not model and not any(isinstance(m, iwae._OneDNNLinear) for m in model.modules())
    assert sum(isinstance(m, iwae._OneDNNLinear) for m in fast.decoder.modules()) == 3
    with torch.no_grad():
        torch.testing.assert_close(fast.decode(z), ref, rtol=0, atol=1e-5)         # same weights, other sums
        torch.testing.assert_close(model.decode(z), ref, rtol=0, atol=0)           # the model is as it was
    for other in [build_vae("burda").double(), torch.nn.Module()]:                 # float64; no decoder at all
        assert iwae._onednn_decoder(other) is other


def test_onednn_decoder_declines_without_onednn(monkeypatch):
    "Without oneDNN in PyTorch the compiled path keeps addmm, and log_likelihood still agrees with the plain path."
    monkeypatch.setattr(torch.backends.mkldnn, "is_available", lambda: False)
    model = build_vae("burda")
    assert iwae._onednn_decoder(model) is model
    x = (torch.rand(10, 784, generator=torch.Generator().manual_seed(1)) < 0.3).float()
    got = iwae.log_likelihood(model, x, k=20, seed=2, compile=True, progress=False)
    ref = iwae.log_likelihood(model, x, k=20, seed=2, compile=False, progress=False)
    torch.testing.assert_close(got.log_px, ref.log_px, rtol=0, atol=1e-3)


def test_dynamo_settings_are_intact():
    "The tests above lower dynamo's recompile limit for their own duration only (pytest runs a file's tests in order)."
    assert torch._dynamo.config.recompile_limit == RECOMPILE_LIMIT
