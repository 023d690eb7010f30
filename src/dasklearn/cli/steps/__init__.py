"""Steps of ``dasklearn demo``: each module has ``run(ctx: DemoContext) -> None``."""
