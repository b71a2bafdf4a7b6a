from callmp import create_app

app = create_app()
